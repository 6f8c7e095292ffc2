package build

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkNix has a deterministic derivation, one whose output changes at
// every build, and one never built before the check. No builder here may
// fail after creating $out: Nix 2.8 moves a failed build's outputs out of
// its sandbox to the logical path, i.e. into the machine's /nix/store,
// even with a chroot store (seen 2026-11-22).
var checkNix = fmt.Sprintf(`{ salt ? "" }:
let
  %s
in {
  det = mk "det" "echo same > $out";
  nondet = mk "nondet" "read x < /proc/sys/kernel/random/uuid; echo $x > $out";
  fresh = mk "fresh${salt}" "echo fresh > $out";
}
`, mkdrv)

// checkStep is one nix-build of the --check scenario and the exit status
// Nix 2.8 gives it.
type checkStep struct {
	name string
	args []string
	code int
}

var checkSteps = []checkStep{
	{"build det", []string{"-A", "det"}, 0},
	{"build nondet", []string{"-A", "nondet"}, 0},
	{"check det", []string{"--check", "-A", "det"}, 0},
	{"check nondet", []string{"--check", "-A", "nondet"}, 104},
	{"check nondet -K", []string{"--check", "-K", "-A", "nondet"}, 104},
	{"check unbuilt", []string{"--check", "-A", "fresh", "--argstr", "salt", "x"}, 1},
	{"check both --keep-going", []string{"--check", "--keep-going", "-A", "det", "-A", "nondet"}, 104},
}

// runCheckSteps runs every step with run in a fresh store and returns
// the results in order.
func runCheckSteps(t *testing.T, dir, storeDir string, run func(t *testing.T, dir, storeDir string, args ...string) result) []result {
	t.Helper()
	var rs []result
	for _, s := range checkSteps {
		args := append([]string{"--no-out-link", "check.nix"}, s.args...)
		rs = append(rs, run(t, dir, storeDir, args...))
	}
	return rs
}

// TestCheck: nix-build --check rebuilds valid outputs and compares them:
// a deterministic build passes, a differing one fails with exit status
// 104 and Nix's message, keeps the differing output at <path>.check only
// with -K, and the valid output is never touched.
func TestCheck(t *testing.T) {
	requireSandbox(t)
	dir := tempDir(t)
	writeFile(t, dir, "check.nix", checkNix)
	root := filepath.Join(dir, "store")
	rs := runCheckSteps(t, dir, root, gonixBuild)
	for i, s := range checkSteps {
		if rs[i].code != s.code {
			t.Errorf("%s: exit %d, want %d\n%s", s.name, rs[i].code, s.code, rs[i])
		}
	}
	nondet := strings.TrimSpace(rs[1].stdout)
	if !strings.HasPrefix(nondet, "/nix/store/") {
		t.Fatalf("build nondet printed %q", nondet)
	}
	real := realPath(root, nondet)
	if want := fmt.Sprintf("may not be deterministic: output '%s' differs\n", real); !strings.HasSuffix(rs[3].stderr, want) {
		t.Errorf("check nondet: stderr does not end with %q:\n%s", want, rs[3].stderr)
	}
	if want := fmt.Sprintf("output '%s' differs from '%s.check'\n", real, real); !strings.HasSuffix(rs[4].stderr, want) {
		t.Errorf("check nondet -K: stderr does not end with %q:\n%s", want, rs[4].stderr)
	}
	if !strings.Contains(rs[2].stderr, "checking outputs of '") || strings.Contains(rs[2].stderr, "will be built") {
		t.Errorf("check det: want only \"checking outputs of\", got:\n%s", rs[2].stderr)
	}
	if !strings.Contains(rs[5].stderr, "are not valid, so checking is not possible") {
		t.Errorf("check unbuilt: no such error:\n%s", rs[5])
	}
	// The last run (without -K) removed what the -K run kept.
	if _, err := os.Lstat(real + ".check"); err == nil {
		t.Errorf("%s.check is left after a check without -K", real)
	}
	first, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	kept := gonixBuild(t, dir, root, "--no-out-link", "--check", "-K", "check.nix", "-A", "nondet")
	second, err := os.ReadFile(real + ".check")
	if kept.code != 104 || err != nil || string(second) == string(first) {
		t.Errorf("check -K: exit %d, %s.check: %q, %v (valid output %q)", kept.code, real, second, err, first)
	}
	if now, err := os.ReadFile(real); err != nil || string(now) != string(first) {
		t.Errorf("the valid output changed: %q, %v; was %q", now, err, first)
	}
	// nix-store --realise --check is the same check.
	drv := strings.TrimSpace(runCmd(t, storeCmd(t, dir, root, "--query", "--deriver", nondet)).stdout)
	r := runCmd(t, storeCmd(t, dir, root, "--realise", "--check", drv))
	if r.code != 104 || !strings.Contains(r.stderr, "may not be deterministic") {
		t.Errorf("nix-store --realise --check %s:\n%s", drv, r)
	}
	if r := runCmd(t, storeCmd(t, dir, root, "--verify", "--check-contents")); r.code != 0 || strings.Contains(r.stderr, "error") {
		t.Errorf("nix-store --verify --check-contents after the checks:\n%s", r)
	}
}

// TestCheckLikeNix: the same scenario with Nix 2.8 gives the same exit
// statuses and error lines.
func TestCheckLikeNix(t *testing.T) {
	requireSandbox(t)
	dir := tempDir(t)
	writeFile(t, dir, "check.nix", checkNix)
	nixRoot, gonixRoot := filepath.Join(dir, "nix-store"), filepath.Join(dir, "gonix-store")
	n := runCheckSteps(t, dir, nixRoot, nixBuild)
	g := runCheckSteps(t, dir, gonixRoot, gonixBuild)
	errorLines := func(s, root string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "error:") {
				out = append(out, strings.ReplaceAll(l, root, "STORE"))
			}
		}
		return strings.Join(out, "\n")
	}
	for i, s := range checkSteps {
		if g[i].code != n[i].code {
			t.Errorf("%s: gonix exits %d, Nix 2.8 %d", s.name, g[i].code, n[i].code)
		}
		if ge, ne := errorLines(g[i].stderr, gonixRoot), errorLines(n[i].stderr, nixRoot); ge != ne {
			t.Errorf("%s: error lines differ:\ngonix:\n%s\nNix 2.8:\n%s", s.name, ge, ne)
		}
		if g[i].stdout != n[i].stdout {
			t.Errorf("%s: stdout %q, Nix 2.8 %q", s.name, g[i].stdout, n[i].stdout)
		}
	}
}

// storeCmd is `gonix nix-store --store STORE ARGS` in dir.
func storeCmd(t *testing.T, dir, storeDir string, args ...string) *exec.Cmd {
	t.Helper()
	if h.fatal != "" {
		t.Fatal(h.fatal)
	}
	argv := append([]string{"nix-store", "--store", storeDir, "--option", "substituters", "", "--option", "sandbox-paths", sandboxPaths}, args...)
	cmd := exec.Command(h.gonix, argv...)
	cmd.Dir = dir
	cmd.Env = testEnv(dir)
	return cmd
}
