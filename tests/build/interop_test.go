package build

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/testutil"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// interopNix is a set of derivations with references between outputs, a
// multi-output derivation whose outputs refer to each other and to
// themselves, and a fixed-output derivation (recursive sha256 fodHash of
// a tree its builder writes itself) used by another derivation.
const interopNix = `{ fodHash }:
let
  %s
  a = mk "a" "echo a > $out";
  b = mk "b" "echo ${a} > $out";
  multi = derivation {
    name = "multi";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    outputs = [ "out" "dev" "lib" ];
    args = [ "-c" ''
      echo lib > $lib
      /bin/mkdir $out $dev
      echo $lib > $out/lib-path
      echo ${b} > $out/b-path
      echo $out > $dev/out-path
      /bin/ln -s $dev $dev/self
    '' ];
  };
  fod = derivation {
    name = "fod";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" ''
      /bin/mkdir -p $out/sub
      echo fixed > $out/sub/file
      printf '#!/bin/sh\necho run\n' > $out/run
      /bin/chmod +x $out/run
      /bin/ln -s sub/file $out/link
    '' ];
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = fodHash;
  };
  user = mk "user" "echo ${fod} ${multi.dev} ${b} > $out";
in [ b multi.out multi.dev multi.lib fod user ]
`

// fodTree writes into dir what the fixed-output builder writes into $out.
func fodTree(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "sub/file", "fixed\n")
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\necho run\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/file", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
}

// TestInteropWithNix builds the same derivations with Nix 2.8 and with
// gonix into two chroot stores: Nix 2.8 verifies gonix's store with
// --check-contents, and for every valid path Nix's own queries on both
// stores give the same references and NAR hash.
func TestInteropWithNix(t *testing.T) {
	requireSandbox(t)
	nixStore := testutil.NixTool(t, "nix-store")
	dir := tempDir(t)
	tree := filepath.Join(dir, "fodtree")
	fodTree(t, tree)
	sum, _, err := nar.HashPath(tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	fodHash := hash.Hash{Algo: hash.SHA256, Digest: sum}.SRI()
	writeFile(t, dir, "interop.nix", fmt.Sprintf(interopNix, mkdrv))
	args := []string{"-j", "2", "--no-out-link", "interop.nix", "--argstr", "fodHash", fodHash}

	gStore, nStore := filepath.Join(dir, "gonix-store"), filepath.Join(dir, "nix-store")
	if r := nixBuild(t, dir, nStore, args...); r.code != 0 {
		t.Fatalf("nix-build fails:\n%s", r)
	}
	r := gonixBuild(t, dir, gStore, args...)
	if r.code != 0 {
		t.Fatalf("gonix nix-build fails:\n%s", r)
	}

	query := func(store string, q ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, nixStore, append([]string{"--store", store, "--option", "substituters", ""}, q...)...)
		cmd.Env = testEnv(dir)
		res := runCmd(t, cmd)
		if res.code != 0 {
			t.Fatalf("nix-store --store %s %q:\n%s", store, q, res)
		}
		return res.stdout
	}

	// Nix 2.8 reads gonix's database and checks every path's contents.
	verify := func() result {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, nixStore, "--store", gStore, "--option", "substituters", "", "--verify", "--check-contents")
		cmd.Env = testEnv(dir)
		return runCmd(t, cmd)
	}
	if v := verify(); v.code != 0 || strings.Contains(v.stderr, "error") || strings.Contains(v.stderr, "modified") {
		t.Errorf("nix-store --verify --check-contents on gonix's store:\n%s", v)
	}

	gPaths, nPaths := validPaths(t, gStore), validPaths(t, nStore)
	if strings.Join(gPaths, "\n") != strings.Join(nPaths, "\n") {
		t.Fatalf("valid paths differ:\ngonix:\n%s\nnix:\n%s", strings.Join(gPaths, "\n"), strings.Join(nPaths, "\n"))
	}
	outputs := 0
	for _, p := range gPaths {
		if !strings.HasSuffix(p, ".drv") {
			outputs++
		}
		for _, q := range [][]string{{"-q", "--references", p}, {"-q", "--hash", p}} {
			g, n := query(gStore, q...), query(nStore, q...)
			if sortLines(g) != sortLines(n) {
				t.Errorf("nix-store %s: gonix's store says\n%s\nNix's store says\n%s", strings.Join(q, " "), g, n)
			}
		}
	}
	// b, multi's three outputs, fod, user, and a (b's input).
	if outputs != 7 {
		t.Errorf("%d outputs valid, want 7: %q", outputs, gPaths)
	}
	// The multi-output derivation's dev refers to itself and to out.
	for _, p := range gPaths {
		if strings.HasSuffix(p, "-multi-dev") {
			refs := lines(query(gStore, "-q", "--references", p))
			if len(refs) != 2 {
				t.Errorf("%s refers to %q, want itself and multi's out", p, refs)
			}
		}
	}

	// The verification above can fail: change one output's bytes.
	for _, p := range gPaths {
		if strings.HasSuffix(p, "-a") {
			real := realPath(gStore, p)
			os.Chmod(real, 0o644)
			if err := os.WriteFile(real, []byte("b\n"), 0o444); err != nil {
				t.Fatal(err)
			}
		}
	}
	if v := verify(); v.code == 0 || !strings.Contains(v.stderr, "was modified") {
		t.Errorf("nix-store --verify --check-contents accepts a changed output:\n%s", v)
	}
}

// validPaths lists the valid paths of the chroot store root, sorted,
// straight from its database opened read-only (neither tool's code runs).
func validPaths(t *testing.T, root string) []string {
	t.Helper()
	c, err := sqlite.OpenConn(filepath.Join(root, "nix/var/nix/db/db.sqlite"), sqlite.OpenReadOnly)
	if err != nil {
		t.Fatalf("open the database of %s: %v", root, err)
	}
	defer c.Close()
	var all []string
	err = sqlitex.ExecuteTransient(c, "select path from ValidPaths order by path", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { all = append(all, st.ColumnText(0)); return nil },
	})
	if err != nil {
		t.Fatalf("list the valid paths of %s: %v", root, err)
	}
	return all
}

func sortLines(s string) string {
	l := lines(s)
	sort.Strings(l)
	return strings.Join(l, "\n")
}
