package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runCollectGarbageIn(dir string, argv ...string) result {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": dir}
	e := &Env{
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	status := mainCollectGarbage(e, "nix-collect-garbage", argv)
	return result{stdout.String(), stderr.String(), status}
}

func storeEntries(t *testing.T, root string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(root, "nix/store"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestCollectGarbage(t *testing.T) {
	root := t.TempDir()
	ours := func(argv ...string) result { return runGonixIn(root, nil, argv...) }
	gcLayout(t, root, ours)
	before := storeEntries(t, root)

	// A dry run deletes no generation and collects nothing (no profiles
	// here: it prints nothing).
	for _, argv := range [][]string{{"--dry-run"}, {"-d", "--dry-run"}, {"--delete-older-than", "3d", "--dry-run"}} {
		if r := runCollectGarbageIn(root, append([]string{"--store", root}, argv...)...); r.status != 0 || r.stdout != "" {
			t.Errorf("%v: %+v", argv, r)
		}
	}
	if r := runCollectGarbageIn(root, "--store", root, "--delete-older-than", "3x", "--dry-run"); r.status != 1 || r.stderr == "" {
		t.Errorf("--delete-older-than 3x: %+v", r)
	}
	if r := runCollectGarbageIn(root, "--store", root, "--max-freed", "1x"); r.status != 1 || !strings.Contains(r.stderr, "invalid unit specifier 'X'") {
		t.Errorf("--max-freed 1x: %+v", r)
	}
	if d := cmp.Diff(before, storeEntries(t, root)); d != "" {
		t.Fatalf("refused runs changed the store:\n%s", d)
	}
	r := runCollectGarbageIn(root, "--store", root)
	if r.status != 0 || r.stdout != "4 store paths deleted, 0.00 MiB freed\n" {
		t.Errorf("nix-collect-garbage: %+v", r)
	}
	want := []string{".links", "draf2pm7skqzj8g3kv0bamg214p6sd70-a", "gsqxyxfbhcb98hgnvbpbhr32hmy8nnvb-f", "hysbxhksgx499rf2957m3dr71qg8ckq1-b", "lphp8dbrx5b9sbsfk9b6y98wjn884vya-e-src"}
	if d := cmp.Diff(want, storeEntries(t, root)); d != "" {
		t.Errorf("store after collection (-want +got):\n%s", d)
	}
}

// TestCollectGarbageOracle compares nix-collect-garbage with Nix 2.8's on
// the same chroot store: the summary line and the set of deleted paths.
func TestCollectGarbageOracle(t *testing.T) {
	nixCG := realNixTool(t, "nix-collect-garbage")
	nixInst := realNixTool(t, "nix-instantiate")
	nixStore := realNixTool(t, "nix-store")
	real := map[string]string{"nix-store": nixStore, "nix-instantiate": nixInst, "nix-collect-garbage": nixCG}
	home := t.TempDir()
	runNix := func(argv ...string) result {
		cmd := exec.Command(real[argv[0]], append(argv[1:], "--option", "substituters", "")...)
		cmd.Env = append(os.Environ(), "HOME="+home)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		status := 0
		if err := cmd.Run(); err != nil {
			status = -1
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			}
		}
		return result{out.String(), errb.String(), status}
	}
	nixRoot, ourRoot := t.TempDir(), t.TempDir()
	gcLayout(t, nixRoot, runNix)
	gcLayout(t, ourRoot, func(argv ...string) result { return runGonixIn(ourRoot, nil, argv...) })

	want := runNix("nix-collect-garbage", "--store", nixRoot)
	got := runCollectGarbageIn(ourRoot, "--store", ourRoot)
	if want.status != 0 || got.status != 0 {
		t.Fatalf("status: Nix %+v, gonix %+v", want, got)
	}
	if got.stdout != want.stdout {
		t.Errorf("summary %q, Nix %q", got.stdout, want.stdout)
	}
	deleted := func(stderr, root string) []string {
		var out []string
		for _, l := range strings.Split(strings.ReplaceAll(stderr, root, "<root>"), "\n") {
			if strings.HasPrefix(l, "deleting '") || strings.HasPrefix(l, "removing ") {
				out = append(out, l)
			}
		}
		sort.Strings(out)
		return out
	}
	if d := cmp.Diff(deleted(want.stderr, nixRoot), deleted(got.stderr, ourRoot)); d != "" {
		t.Errorf("deleted (-nix +gonix):\n%s", d)
	}
	if d := cmp.Diff(storeEntries(t, nixRoot), storeEntries(t, ourRoot)); d != "" {
		t.Errorf("store after collection (-nix +gonix):\n%s", d)
	}
}
