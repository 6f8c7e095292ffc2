package build

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonix/internal/testutil"
)

// harness is what TestMain prepared; it is written once before any test
// runs and only read afterwards.
type harness struct {
	gonix string // the binary under test
	fatal string // why every test must fail (the build of gonix failed)
}

var h harness

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "gonix-tests-build")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "gonix")
	if out, err := exec.Command("go", "build", "-o", bin, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		h.fatal = fmt.Sprintf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	// Installed as `go install ./cmd/...` does: the sandbox helper beside
	// gonix, which gonix then runs as the sandbox's child.
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "gonix-sandbox"), "gonix/cmd/gonix-sandbox").CombinedOutput(); err != nil {
		h.fatal = fmt.Sprintf("go build gonix/cmd/gonix-sandbox: %v\n%s", err, out)
	}
	h.gonix = bin
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sandboxPaths makes the host's /bin/sh and its libraries visible inside
// the sandbox, for gonix and Nix 2.8 alike (see ORACLE.md).
const sandboxPaths = "/bin /lib /lib64 /usr"

// result is how one command ended.
type result struct {
	code           int // exit status; -1 when killed by a signal
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// gonixCmd is `gonix nix-build --store STORE --option sandbox-paths … ARGS`
// in dir, not yet started.
func gonixCmd(ctx context.Context, t *testing.T, dir, storeDir string, args ...string) *exec.Cmd {
	t.Helper()
	if h.fatal != "" {
		t.Fatal(h.fatal)
	}
	argv := append([]string{"nix-build", "--store", storeDir, "--option", "substituters", "", "--option", "sandbox-paths", sandboxPaths}, args...)
	cmd := exec.CommandContext(ctx, h.gonix, argv...)
	cmd.Dir = dir
	cmd.Env = testEnv(dir)
	return cmd
}

// testEnv is the caller's environment without what would point either tool
// at another store, search path or configuration.
func testEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "NIX_PATH", "NIX_REMOTE", "NIX_STORE_DIR", "NIX_CONF_DIR", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME":
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(dir, ".home")
	os.MkdirAll(home, 0o755)
	return append(env, "HOME="+home, "TMPDIR="+dir)
}

// runCmd runs cmd to its end (at most limit) and reports how it ended.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%q: %v", cmd.Args, err)
	}
	return r
}

// gonixBuild runs gonix nix-build to its end (at most two minutes).
func gonixBuild(t *testing.T, dir, storeDir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := runCmd(t, gonixCmd(ctx, t, dir, storeDir, args...))
	if ctx.Err() != nil {
		t.Fatalf("gonix nix-build %q did not end within two minutes:\n%s", args, r)
	}
	return r
}

// nixBuild runs Nix 2.8's nix-build, sandboxed as ORACLE.md says.
func nixBuild(t *testing.T, dir, storeDir string, args ...string) result {
	t.Helper()
	nb := testutil.NixTool(t, "nix-build")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"--store", storeDir, "--option", "substituters", "", "--option", "sandbox", "true", "--option", "sandbox-paths", sandboxPaths, "--option", "build-users-group", ""}, args...)
	cmd := exec.CommandContext(ctx, nb, argv...)
	cmd.Dir = dir
	cmd.Env = testEnv(dir)
	return runCmd(t, cmd)
}

// requireSandbox builds one trivial derivation with gonix's sandbox and
// skips (fails under CI=true) when that cannot work here: no /bin/sh or no
// user namespaces.
func requireSandbox(t *testing.T) {
	t.Helper()
	if h.fatal != "" {
		t.Fatal(h.fatal)
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		testutil.Missing(t, "/bin/sh for sandboxed builders", err)
	}
	dir := tempDir(t)
	writeFile(t, dir, "probe.nix", `derivation { name = "probe"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo ok > $out" ]; }`)
	r := gonixBuild(t, dir, filepath.Join(dir, "store"), "--no-out-link", "probe.nix")
	if r.code != 0 {
		if strings.Contains(r.stderr, "namespace") || strings.Contains(r.stderr, "operation not permitted") {
			testutil.Missing(t, "a build sandbox (user namespaces)", errors.New(strings.TrimSpace(r.stderr)))
		}
		t.Fatalf("a trivial sandboxed build fails:\n%s", r)
	}
}

// tempDir is t.TempDir whose read-only store objects can be removed.
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { makeWritable(dir) })
	return dir
}

func makeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines splits printed output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// realPath is where store path p of the chroot store root lives.
func realPath(root, p string) string {
	return filepath.Join(root, strings.TrimPrefix(p, "/"))
}

// mkdrv is the Nix helper every test file shares: a derivation whose
// builder is the host's /bin/sh running script.
const mkdrv = `mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
  };`
