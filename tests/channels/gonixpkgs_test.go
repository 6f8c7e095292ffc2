package channels

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The acceptance of issue 9 on the real collection builds hello, zlib,
// bash (the shell) and, for the #! script, jq from the Debian seeds: from
// an empty store that is tens of minutes on two cores, so it is opt-in:
//
//	GONIX_TEST_GONIXPKGS=1 [GONIX_TEST_GONIXPKGS_STORE=DIR] go test ./tests/channels -run Gonixpkgs -v
//
// GONIX_TEST_GONIXPKGS_STORE names a chroot store to reuse between runs
// (tests/bootstrap's builds, or a previous run's); without it a fresh one
// in a temporary directory is used. GONIX_TEST_GONIXPKGS_JQ=1 adds the
// #! nix-shell -p jq script (jq's oniguruma does not build yet).
func gonixpkgsStore(t *testing.T) string {
	t.Helper()
	if os.Getenv("GONIX_TEST_GONIXPKGS") != "1" {
		t.Skip("opt-in (builds the real collection from Debian seeds): set GONIX_TEST_GONIXPKGS=1")
	}
	requirePrerequisites(t)
	if d := os.Getenv("GONIX_TEST_GONIXPKGS_STORE"); d != "" {
		return d
	}
	return filepath.Join(t.TempDir(), "store")
}

// gonixCmd runs a gonix command (through its link name) in dir with NIX_PATH
// unset, so <nixpkgs> is missing and <gonixpkgs> is the built-in collection.
func gonixCmd(t *testing.T, dir string, env []string, name string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + binDir + ":/usr/bin:/bin", "HOME=" + dir, "TERM=dumb"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr (tail):\n%s", name, strings.Join(args, " "), err, stdout.String(), tail(stderr.String(), 40))
	}
	return stdout.String(), stderr.String()
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestGonixpkgsShells(t *testing.T) {
	store := gonixpkgsStore(t)
	dir := t.TempDir()
	start := time.Now()
	out, _ := gonixCmd(t, dir, nil, "nix-shell", "--store", store, "-p", "hello", "--run", "hello")
	if out != "Hello, world!\n" {
		t.Errorf("nix-shell -p hello --run hello: %q", out)
	}
	t.Logf("nix-shell -p hello --run hello: %v (builds included)", time.Since(start))
	start = time.Now()
	out, _ = gonixCmd(t, dir, nil, "nix-shell", "--store", store, "-p", "hello", "--run", "hello")
	t.Logf("again, everything built: %v", time.Since(start))

	out, _ = gonixCmd(t, dir, nil, "nix-shell", "--store", store, "--pure", "-p", "hello", "--run", `echo "$PATH"; hello`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[1] != "Hello, world!" {
		t.Fatalf("--pure: %q", out)
	}
	for _, p := range strings.Split(lines[0], ":") {
		if !strings.HasPrefix(p, "/nix/store/") {
			t.Errorf("--pure: PATH entry %q is not in the store (PATH=%s)", p, lines[0])
		}
	}

	os.WriteFile(filepath.Join(dir, "shell.nix"), []byte("with import <gonixpkgs> { };\nmkShell { buildInputs = [ zlib ]; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "z.c"), []byte("#include <stdio.h>\n#include <zlib.h>\nint main(void) { printf(\"zlib %s\\n\", zlibVersion()); return 0; }\n"), 0o644)
	out, _ = gonixCmd(t, dir, nil, "nix-shell", "--store", store, "--pure", "--run", "cc -o z z.c -lz && ./z")
	if !strings.HasPrefix(out, "zlib 1.") {
		t.Errorf("mkShell with zlib: cc and the program said %q", out)
	}

	// A #! script with a package of the collection (always hello; jq
	// when GONIX_TEST_GONIXPKGS_JQ=1: it needs oniguruma, which does not
	// build yet).
	script := filepath.Join(dir, "hello.sh")
	os.WriteFile(script, []byte("#! /usr/bin/env nix-shell\n#! nix-shell -i bash -p hello\nhello -g \"$1\"\necho \"args: $*\"\n"), 0o755)
	out, _ = gonixCmd(t, dir, []string{"NIX_REMOTE=" + store}, "nix-shell", script, "from a script", "y")
	if out != "from a script\nargs: from a script y\n" {
		t.Errorf("#! nix-shell -i bash -p hello script: %q", out)
	}
	if os.Getenv("GONIX_TEST_GONIXPKGS_JQ") == "1" {
		script := filepath.Join(dir, "jq.sh")
		os.WriteFile(script, []byte("#! /usr/bin/env nix-shell\n#! nix-shell -i bash -p jq\necho '{\"a\":[1,2,3]}' | jq -c '.a | map(. * 2)'\necho \"args: $*\"\n"), 0o755)
		out, _ = gonixCmd(t, dir, []string{"NIX_REMOTE=" + store}, "nix-shell", script, "x", "y z")
		if out != "[2,4,6]\nargs: x y z\n" {
			t.Errorf("#! nix-shell -i bash -p jq script: %q", out)
		}
	}
}

func TestGonixpkgsChannel(t *testing.T) {
	store := gonixpkgsStore(t)
	tmp := t.TempDir()
	for _, d := range []string{"home", "nix/store"} {
		os.MkdirAll(filepath.Join(tmp, d), 0o755)
	}
	gonixCmd(t, tmp, nil, "gonix", "nix-store", "--generate-binary-cache-key", "gonixpkgs-test-1", "sk", "pk")
	pub, _ := os.ReadFile(filepath.Join(tmp, "pk"))
	start := time.Now()
	gonixCmd(t, tmp, nil, "gonix", "mkchannel", "--store", store, "--out", "pub", "--secret-key-file", "sk", "-A", "hello")
	t.Logf("gonix mkchannel -A hello (hello built or reused, closure compressed): %v", time.Since(start))
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(tmp, "pub"))))
	defer srv.Close()
	s := &session{t: t, tmp: tmp, env: []string{"PATH=" + binDir + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + filepath.Join(tmp, "home"),
		"NIXDIR=" + filepath.Join(tmp, "nix"), "USER=root", "URL=" + srv.URL}}
	flags := fmt.Sprintf("--option substituters %s --option trusted-public-keys %s", srv.URL, strings.TrimSpace(string(pub)))
	s.run(`nix-channel --add "$URL" gonixpkgs && nix-channel --update`)
	_, errOut, d := s.run(`nix-env -iA gonixpkgs.hello ` + flags)
	mustMatch(t, "install", errOut, `(?m)^copying path '/nix/store/[0-9a-z]{32}-hello-[0-9.]+' from '`)
	mustNotMatch(t, "install", errOut, `building '/nix/store/[0-9a-z]{32}-hello-[0-9.]+\.drv'`)
	t.Logf("nix-env -iA gonixpkgs.hello by substitution: %v", d)
	out, _, _ := s.run(`"$HOME/.nix-profile/bin/hello"`)
	if out != "Hello, world!\n" {
		t.Errorf("installed hello says %q", out)
	}
	var times []time.Duration
	for range 3 {
		out, _, d := s.run(`nix-env -qaP`)
		mustMatch(t, "-qaP", out, `(?m)^gonixpkgs\.hello +hello-`)
		times = append(times, d)
	}
	t.Logf("nix-env -qaP over the channel (unshare and mount included): %v", times)
}
