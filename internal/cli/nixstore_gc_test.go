package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gcLayout makes the same store in root with either tool: a chain of
// toFile paths c → b → a, d → a, an added file e, roots of each kind and
// leftovers in the store directory.
func gcLayout(t *testing.T, root string, run func(argv ...string) result) {
	t.Helper()
	for _, expr := range []string{
		`builtins.toFile "c" "${builtins.toFile "b" "${builtins.toFile "a" "A"}"}"`,
		`builtins.toFile "d" "${builtins.toFile "a" "A"}"`,
		`builtins.toFile "f" "F"`,
	} {
		if r := run("nix-instantiate", "--store", root, "--read-write-mode", "--eval", "-E", expr); r.status != 0 {
			t.Fatalf("instantiate: %+v", r)
		}
	}
	src := filepath.Join(root, "e-src")
	if err := os.WriteFile(src, []byte("E\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("nix-store", "--store", root, "--add", src); r.status != 0 {
		t.Fatalf("add: %+v", r)
	}
	state := filepath.Join(root, "nix/var/nix")
	links := [][2]string{
		{"/nix/store/hysbxhksgx499rf2957m3dr71qg8ckq1-b", state + "/gcroots/myroot"},
		{"/nix/store/gsqxyxfbhcb98hgnvbpbhr32hmy8nnvb-f/sub", state + "/gcroots/sub/inside"},
		{filepath.Join(root, "result"), state + "/gcroots/auto/aaaa"},
		{filepath.Join(root, "gone"), state + "/gcroots/auto/bbbb"},
	}
	for _, l := range links {
		os.MkdirAll(filepath.Dir(l[1]), 0o755)
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/nix/store/lphp8dbrx5b9sbsfk9b6y98wjn884vya-e-src", filepath.Join(root, "result")); err != nil {
		t.Fatal(err)
	}
	for _, j := range []string{"junk-file", "00000000000000000000000000000000-stale.lock"} {
		if err := os.WriteFile(filepath.Join(root, "nix/store", j), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGCOracle runs Nix 2.8's and gonix's collectors on the same layout
// and compares roots, dead paths, what is deleted (as a set: the order
// follows readdir) and the summary line.
func TestGCOracle(t *testing.T) {
	nixStore := realNixTool(t, "nix-store")
	nixInst := realNixTool(t, "nix-instantiate")
	real := map[string]string{"nix-store": nixStore, "nix-instantiate": nixInst}
	runNix := func(argv ...string) result {
		cmd := exec.Command(real[argv[0]], append(argv[1:], "--option", "substituters", "")...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		status := 0
		if err != nil {
			status = 1
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else {
				errb.WriteString(err.Error())
			}
		}
		return result{out.String(), errb.String(), status}
	}
	nixRoot, ourRoot := t.TempDir(), t.TempDir()
	ours := func(argv ...string) result { return runGonixIn(ourRoot, nil, argv...) }
	gcLayout(t, nixRoot, runNix)
	gcLayout(t, ourRoot, ours)

	norm := func(s, root string) string { return strings.ReplaceAll(s, root, "<root>") }
	sorted := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if l != "" && !strings.HasPrefix(l, "warning: ") {
				out = append(out, l)
			}
		}
		sort.Strings(out)
		return out
	}
	same := func(what string, argv ...string) (result, result) {
		t.Helper()
		want := runNix(append([]string{argv[0], "--store", nixRoot}, argv[1:]...)...)
		got := ours(append([]string{argv[0], "--store", ourRoot}, argv[1:]...)...)
		if want.status != got.status {
			t.Errorf("%s: status %d, Nix %d (stderr %q, Nix %q)", what, got.status, want.status, got.stderr, want.stderr)
		}
		if d := cmp.Diff(sorted(norm(want.stdout, nixRoot)), sorted(norm(got.stdout, ourRoot))); d != "" {
			t.Errorf("%s stdout (-nix +gonix):\n%s", what, d)
		}
		return want, got
	}

	_, roots := same("--print-roots", "nix-store", "--gc", "--print-roots")
	for _, r := range []string{"gcroots/myroot -> ", "gcroots/sub/inside -> /nix/store/gsqxyx", "<root>/result -> /nix/store/lphp8"} {
		if !strings.Contains(norm(roots.stdout, ourRoot), r) {
			t.Errorf("--print-roots lacks %q:\n%s", r, roots.stdout)
		}
	}
	same("-q --roots", "nix-store", "-q", "--roots", "/nix/store/draf2pm7skqzj8g3kv0bamg214p6sd70-a")
	same("--print-live", "nix-store", "--gc", "--print-live")
	same("--print-dead", "nix-store", "--gc", "--print-dead")
	want, got := same("--delete live", "nix-store", "--delete", "/nix/store/draf2pm7skqzj8g3kv0bamg214p6sd70-a")
	if norm(want.stderr, nixRoot) != norm(got.stderr, ourRoot) {
		t.Errorf("--delete of a live path: stderr\n%s\nNix:\n%s", got.stderr, want.stderr)
	}
	same("--delete dead", "nix-store", "--delete", "/nix/store/0c5h06rkbhvbvmdwrq3b4b99k52nnxqx-d")
	want, got = same("--gc", "nix-store", "--gc")
	if d := cmp.Diff(sorted(norm(want.stderr, nixRoot)), sorted(norm(got.stderr, ourRoot))); d != "" {
		t.Errorf("--gc stderr (-nix +gonix):\n%s", d)
	}
	left := func(root string) []string {
		es, _ := os.ReadDir(filepath.Join(root, "nix/store"))
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	if d := cmp.Diff(left(nixRoot), left(ourRoot)); d != "" {
		t.Errorf("store directory after --gc (-nix +gonix):\n%s", d)
	}
	if _, err := os.Lstat(filepath.Join(ourRoot, "nix/var/nix/gcroots/auto/bbbb")); !os.IsNotExist(err) {
		t.Errorf("stale indirect root kept")
	}
}
