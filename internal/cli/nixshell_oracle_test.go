package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/testutil"
)

// TestShellMatchesNix runs Nix 2.8's nix-shell and gonix's on the same
// derivation (no inputs, so Nix can run it from a chroot store too) and
// compares the shell's environment, passAsFile contents, the exit status
// of --run and the usage errors.
func TestShellMatchesNix(t *testing.T) {
	t.Parallel()
	nix := testutil.NixTool(t, "nix-shell")
	gonix, err := exec.LookPath("gonix")
	if err != nil {
		t.Fatalf("gonix not on PATH: %v", err)
	}
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (gonix's shell enters a mount namespace for the chroot store)", os.ErrPermission)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		testutil.Missing(t, "bash", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "e.nix"), []byte(`{ greeting ? "hi" }: derivation { name = "e"; system = "x86_64-linux"; builder = "/bin/sh"; FOO = "bar"; GREETING = greeting; SAW = builtins.getEnv "IN_NIX_SHELL"; passAsFile = [ "big" ]; big = "lots"; }`), 0o644)
	// Structured attributes: .attrs.json and .attrs.sh, sourced by the rcfile.
	os.WriteFile(filepath.Join(dir, "s.nix"), []byte(`derivation { name = "s"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true; foo = "bar"; n = 3; list = [ 1 "two" ]; nested = { a = true; }; outputs = [ "out" "dev" ]; }`), 0o644)
	showAttrs := `/usr/bin/env | /usr/bin/sort; echo; /bin/cat "$NIX_ATTRS_JSON_FILE"; echo; /bin/cat "$NIX_ATTRS_SH_FILE"; declare -p foo n list out`
	show := `/usr/bin/env | /usr/bin/sort; echo; /bin/cat "$bigPath"`
	volatile := regexp.MustCompile(`(?m)^(_|PWD|SHLVL|OLDPWD)=.*\n|nix-shell-[0-9-]+|nix-shell-[0-9]+`)
	tryLine := regexp.MustCompile(`Try '[^']*nix-shell --help'`)
	run := func(tool string, args ...string) (string, int) {
		cmd := exec.Command(tool, args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + filepath.Dir(bash) + ":/usr/bin:/bin", "HOME=" + dir, "NIX_BUILD_SHELL=bash",
			"TMPDIR=" + dir, "KEEPME=1", "DROPME=1", "NIX_PATH=", "TERM=dumb"}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		text := tryLine.ReplaceAllString(out.String(), "Try 'PROGRAM --help'")
		return volatile.ReplaceAllString(text, "TMP"), code
	}
	store := []string{"--store", filepath.Join(dir, "st"), "--option", "substituters", ""}
	for _, args := range [][]string{
		{"e.nix", "--run", show},
		{"e.nix", "--pure", "--keep", "KEEPME", "--run", show},
		{"e.nix", "--argstr", "greeting", "hey", "--run", show},
		{"e.nix", "--run", "exit 3"},
		{"s.nix", "--run", showAttrs},
		{"e.nix", "--run"},
		{"-p", "x", "-E", "y"},
		{"--frob"},
		{"missing.nix"},
		{"-E", "{ a = import ./e.nix { }; b = import ./e.nix { }; }", "--run", "true"},
	} {
		want, wantCode := run(nix, append(append([]string{}, store...), args...)...)
		got, gotCode := run(gonix, append(append([]string{"nix-shell"}, store...), args...)...)
		if d := cmp.Diff(want, got); d != "" || wantCode != gotCode {
			t.Errorf("nix-shell %q: exit %d, Nix %d; output (-Nix +gonix):\n%s", args, gotCode, wantCode, d)
		}
	}
}
