package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gonix/internal/testutil"
)

// nixEnvNS is what the nix-env oracle tests share: Nix 2.8 and gonix each
// run a shell script in a private mount namespace with an empty /nix (the
// only way Nix's profiles work without touching the machine's), with
// NIX_CONF_DIR, T and the test's files in a temporary directory.
type nixEnvNS struct {
	t       *testing.T
	unshare string
	gonix   string // the test binary, put on PATH by testscript.Main
	tmp     string
	path    string
}

// newNixEnvNS checks the prerequisites (skipping, or failing under
// CI=true) and writes nix.conf (no sandbox, no substituters) and files.
func newNixEnvNS(t *testing.T, files map[string]string) *nixEnvNS {
	t.Helper()
	nixEnv := testutil.NixTool(t, "nix-env") // by path: PATH has gonix copies named nix-env
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (for a private mount namespace)", os.ErrPermission)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testutil.Missing(t, "unshare", err)
	}
	gonix, err := exec.LookPath("gonix")
	if err != nil {
		t.Fatalf("gonix not on PATH: %v", err)
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		testutil.Missing(t, "/bin/sh (the test packages' builder)", err)
	}
	tmp := t.TempDir()
	files["nix.conf"] = "sandbox = false\nsubstituters =\n"
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Nix prints argv[0] as typed in its "Try '… --help'" hint: run it by
	// name with its directory first on PATH.
	path := filepath.Dir(nixEnv) + string(filepath.ListSeparator) + os.Getenv("PATH")
	return &nixEnvNS{t: t, unshare: unshare, gonix: gonix, tmp: tmp, path: path}
}

// run runs script with HOME=tmp/home and the extra environment, and
// returns its combined output; a failing script fails the test.
func (ns *nixEnvNS) run(label, script, home string, env ...string) string {
	ns.t.Helper()
	cmd := exec.Command(ns.unshare, "-m", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(append(os.Environ(), "NIX_CONF_DIR="+ns.tmp, "HOME="+filepath.Join(ns.tmp, home), "T="+ns.tmp,
		"NIX_PROFILE=", "NIX_PATH=", "PATH="+ns.path), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		ns.t.Fatalf("%s: %v\n%s", label, err, out.String())
	}
	return out.String()
}
