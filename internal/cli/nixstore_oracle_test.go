package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeWritable lets t.TempDir's cleanup delete a store's read-only
// directories.
func makeWritable(t *testing.T, dir string) {
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}

const nixStoreOracleExpr = `let
  src = builtins.toFile "builder.sh" "echo hi > $out";
  dep = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo dep > $out" ]; };
  multi = derivation { name = "multi"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" "lib" ]; args = [ src ]; inherit dep; };
  top = derivation { name = "top"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ${multi.dev} ${dep} > $out" ]; quote = "it's \"q\" $x"; };
  fixed = derivation { name = "fixed"; system = "x86_64-linux"; builder = "/bin/sh"; outputHash = "0000000000000000000000000000000000000000000000000000"; outputHashAlgo = "sha256"; outputHashMode = "recursive"; inherit top; };
in { inherit dep multi top fixed; }
`

// oracleTree writes the files both tools add: an executable, a symlink, a
// nested directory, an empty file.
func oracleTree(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"d.nix":          nixStoreOracleExpr,
		"f.txt":          "x\n",
		"tree/a":         "hello\n",
		"tree/sub/b":     "b\n",
		"tree/sub/empty": "",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tree/a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(dir, "tree/link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../f.txt", filepath.Join(dir, "tree/sub/up")); err != nil {
		t.Fatal(err)
	}
}

func runGonixIn(dir string, stdin []byte, argv ...string) result {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": dir}
	e := &Env{
		Stdin:     bytes.NewReader(stdin),
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	status := Run(e, argv)
	return result{stdout.String(), stderr.String(), status}
}

// dropWarnings removes Nix's "warning:" lines (about substituters, GC
// roots) that say nothing about the operation compared.
func dropWarnings(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "warning: ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// TestNixStoreMatchesNix builds the same small store with Nix 2.8 and with
// gonix (instantiated derivations with dependencies, a multi-output and a
// fixed-output derivation, added trees with executables and symlinks) and
// compares every query operation's status, stdout and stderr.
func TestNixStoreMatchesNix(t *testing.T) {
	nixStore := realNixTool(t, "nix-store")
	nixInst := realNixTool(t, "nix-instantiate")
	dir := t.TempDir()
	oracleTree(t, dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	makeWritable(t, a)
	makeWritable(t, b)
	noSubst := []string{"--option", "substituters", ""}

	nix := func(stdin []byte, argv ...string) result {
		return runNixIn(t, nixStore, dir, stdin, append(append([]string{"--store", a}, noSubst...), argv...)...)
	}
	gonix := func(stdin []byte, argv ...string) result {
		return runGonixIn(dir, stdin, append([]string{"nix-store", "--store", b}, argv...)...)
	}

	ni := runNixIn(t, nixInst, dir, nil, append(append([]string{"--store", a}, noSubst...), "d.nix")...)
	gi := runGonixIn(dir, nil, "nix-instantiate", "--store", b, "d.nix")
	if ni.status != 0 || gi.status != 0 || ni.stdout != gi.stdout {
		t.Fatalf("instantiate: nix %+v\ngonix %+v", ni, gi)
	}
	drvs := strings.Fields(ni.stdout) // dep fixed multi top
	dep, fixed, multi, top := drvs[0], drvs[1], drvs[2], drvs[3]

	adds := [][]string{
		{"--add", "f.txt", "tree", "tree/sub"},
		// tree/a is executable: flat ingestion keeps the bit in the store.
		{"--add-fixed", "sha256", "f.txt", "tree/sub/b", "tree/a"},
		{"--add-fixed", "--recursive", "sha1", "tree"},
		{"--add-fixed", "--recursive", "sha256", "tree/sub"},
	}
	var added []string
	for _, argv := range adds {
		nr, gr := nix(nil, argv...), gonix(nil, argv...)
		if nr != gr {
			t.Fatalf("%q: nix %+v\ngonix %+v", argv, nr, gr)
		}
		added = append(added, strings.Fields(nr.stdout)...)
	}
	treePath, subPath := added[1], added[2]
	if err := os.Symlink(top, filepath.Join(dir, "result")); err != nil {
		t.Fatal(err)
	}
	const bogus = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nope"

	cases := [][]string{
		{"-q", top, multi},
		{"-q", "--outputs", multi, dep},
		{"-q", treePath},
		{"-qR", top},
		{"-qR", top, fixed, treePath},
		{"-q", "--requisites", "--include-outputs", top},
		{"-qR", "result"},
		{"-qR", treePath + "/sub/b"},
		{"-qR", "-u", top},
		{"-q", "--references", top, fixed},
		{"-q", "--references", treePath},
		{"-q", "--referrers", dep},
		{"-q", "--referrers", added[0]},
		{"-q", "--referrers-closure", dep},
		{"-q", "--referers-closure", drvs[0], added[0]},
		{"-qd", top},
		{"-q", "--deriver", treePath, top},
		{"-q", "-b", "quote", top},
		{"-q", "--binding", "outputs", multi},
		{"-q", "--binding", "nope", top},
		{"-q", "-b", "x", treePath},
		{"-q", "-b"},
		{"-q", "--hash", top, treePath, subPath},
		{"-q", "--size", top, treePath, subPath},
		{"-q", "--size", "-u", multi},
		{"-q", "--tree", top},
		{"-q", "--tree", fixed, top, multi},
		{"-q", "--graph", top},
		{"-q", "--graph", fixed, treePath},
		{"-q", "--graphml", top, treePath},
		{"-q", "--resolve", "result", top},
		{"-q", "--references", bogus},
		{"-q", "--hash", bogus},
		{"-q", "--references", "f.txt"},
		{"-q", "--references", "nope"},
		{"-q", "--references", "/nix/store/bad"},
		{"-q", "--references", "/nix/store"},
		{"-q", "--size", "--hash", top},
		{"-q", "--foo", top},
		{"-q", "--valid-derivers", top},
		{"-q", "--outputs", "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-f.drv"},
		{"--print-env", top},
		{"--print-env", multi},
		{"--print-env"},
		{"--print-env", "x.drv"},
		{"--print-env", bogus + ".drv"},
		{"--check-validity", top, treePath},
		{"--check-validity", top, bogus},
		{"--check-validity", "--print-invalid", bogus, top, bogus + "2"},
		{"--check-validity", "--foo"},
		{"--dump-db", top, treePath, added[0]},
		{"--dump-db"},
		{"--dump-db", bogus},
		{"--verify-path", top, treePath},
		{"--verify-path", bogus},
		{"--verify", "x"},
		{"--verify", "--foo"},
		{"--export", "--foo"},
		{"--import", "x"},
		{"--dump"},
		{"--dump", "a", "b"},
		{"--dump", "nope"},
		{"--restore"},
		{"--restore", "--x", "y"},
		{"--add", "nope"},
		{"--add-fixed", "sha257", "f.txt"},
		{"--print-fixed-path", "sha256", "0hkbia1003qqh0r7fn03drzx5yaw7yp99xs7j6c7qsddnp1w7dpc", "foo"},
		{"--print-fixed-path", "--recursive", "md5", "d41d8cd98f00b204e9800998ecf8427e", "bar"},
		{"--print-fixed-path", "sha256"},
		{},
		{"--foo"},
		{"-q", "--add"},
		{"--version"},
		{"--init"},
		{"--init", "x"},
	}
	for _, argv := range cases {
		nr, gr := nix(nil, argv...), gonix(nil, argv...)
		nr.stderr, gr.stderr = dropWarnings(nr.stderr), dropWarnings(gr.stderr)
		if nr != gr {
			t.Errorf("nix-store %q:\nnix   %+v\ngonix %+v", argv, nr, gr)
		}
	}

	// Byte-identical archives and export streams.
	for _, argv := range [][]string{
		{"--dump", "tree"},
		{"--dump", "f.txt"},
		{"--dump", "tree/link"},
		{"--export", top, treePath, dep, multi, added[0]},
		{"--export", "result"},
	} {
		nr, gr := nix(nil, argv...), gonix(nil, argv...)
		if nr.status != 0 || gr.status != 0 || nr.stdout != gr.stdout {
			t.Errorf("nix-store %q differs: nix status %d (%d bytes), gonix status %d (%d bytes) %s",
				argv, nr.status, len(nr.stdout), gr.status, len(gr.stdout), gr.stderr)
		}
	}

	// gonix's export imports into Nix, Nix's into gonix; both print the
	// same paths.
	c, d := filepath.Join(dir, "c"), filepath.Join(dir, "d")
	makeWritable(t, c)
	makeWritable(t, d)
	// The closure includes .drv files with input derivations, whose
	// outputs the importing store checks against their contents.
	closure := gonix(nil, "-qR", top, treePath, added[0], subPath)
	exp := gonix(nil, append([]string{"--export"}, strings.Fields(closure.stdout)...)...)
	nImp := runNixIn(t, nixStore, dir, []byte(exp.stdout), "--store", c, "--option", "substituters", "", "--import")
	nexp := nix(nil, append([]string{"--export"}, strings.Fields(closure.stdout)...)...)
	gImp := runGonixIn(dir, []byte(nexp.stdout), "nix-store", "--store", d, "--import")
	if nImp.status != 0 || gImp.status != 0 || nImp.stdout != gImp.stdout {
		t.Errorf("--import: nix %+v\ngonix %+v", nImp, gImp)
	}
	for _, st := range []string{c, d} {
		nr := runNixIn(t, nixStore, dir, nil, "--store", st, "--option", "substituters", "", "--dump-db")
		gr := runGonixIn(dir, nil, "nix-store", "--store", st, "--dump-db")
		if nr.status != 0 || nr != gr {
			t.Errorf("--dump-db of the imported store %s: nix %+v\ngonix %+v", st, nr, gr)
		}
	}

	// Nix finds nothing wrong with the store gonix wrote, and reads the
	// same graph from it.
	for _, st := range []string{b, d} {
		r := runNixIn(t, nixStore, dir, nil, "--store", st, "--option", "substituters", "", "--verify", "--check-contents")
		if r.status != 0 || strings.Contains(r.stderr, "error") || strings.Contains(r.stderr, "modified") {
			t.Errorf("nix-store --verify --check-contents on gonix's store %s: %+v", st, r)
		}
	}
	for _, argv := range [][]string{{"-q", "--references", top}, {"-qR", top, treePath}, {"-q", "--hash", treePath}} {
		onB := runNixIn(t, nixStore, dir, nil, append(append([]string{"--store", b}, noSubst...), argv...)...)
		onA := nix(nil, argv...)
		if onB != onA {
			t.Errorf("Nix reads %q differently from gonix's store:\n%+v\nwant %+v", argv, onB, onA)
		}
	}
	r := gonix(nil, "--verify", "--check-contents")
	if r.status != 0 {
		t.Errorf("gonix --verify --check-contents: %+v", r)
	}
}

// TestNixStoreVerifiesNixBuiltStore builds derivations with Nix 2.8 into a
// chroot store and checks gonix's --verify --check-contents and queries on
// it, then corrupts an output and checks both tools notice.
func TestNixStoreVerifiesNixBuiltStore(t *testing.T) {
	nixBuild := realNixTool(t, "nix-build")
	nixStore := realNixTool(t, "nix-store")
	dir := t.TempDir()
	st := filepath.Join(dir, "st")
	makeWritable(t, st)
	expr := `let
  dep = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo dep > $out" ]; };
  top = derivation { name = "top"; system = "x86_64-linux"; builder = "/bin/sh"; outputs = [ "out" "doc" ];
    args = [ "-c" "/bin/mkdir -p $out/bin $doc; echo ${dep} > $out/bin/ref; /bin/ln -s ref $out/bin/l; echo doc > $doc/d; /bin/chmod +x $out/bin/ref" ]; };
in top
`
	if err := os.WriteFile(filepath.Join(dir, "b.nix"), []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	br := runNixIn(t, nixBuild, dir, nil, "--store", st, "--option", "sandbox", "true",
		"--option", "sandbox-paths", "/bin /lib /lib64 /usr", "--option", "build-users-group", "", "--option", "substituters", "", "b.nix", "--no-out-link")
	if br.status != 0 {
		t.Skipf("nix-build cannot build here (no sandbox?): %s", br.stderr)
	}
	out := strings.TrimSpace(br.stdout)

	r := runGonixIn(dir, nil, "nix-store", "--store", st, "--verify", "--check-contents")
	if r.status != 0 || strings.Contains(r.stderr, "error") {
		t.Fatalf("gonix --verify --check-contents on Nix's store: %+v", r)
	}
	for _, argv := range [][]string{
		{"-qR", out}, {"-q", "--tree", out}, {"-qd", out}, {"-q", "--references", out},
		{"-q", "--size", out}, {"-q", "--hash", out}, {"--verify-path", out}, {"--dump-db"},
	} {
		nr := runNixIn(t, nixStore, dir, nil, append([]string{"--store", st, "--option", "substituters", ""}, argv...)...)
		gr := runGonixIn(dir, nil, append([]string{"nix-store", "--store", st}, argv...)...)
		nr.stderr = dropWarnings(nr.stderr)
		if nr != gr {
			t.Errorf("nix-store %q on Nix's store:\nnix   %+v\ngonix %+v", argv, nr, gr)
		}
	}
	// The deriver's closure with its outputs.
	drv := strings.TrimSpace(runNixIn(t, nixStore, dir, nil, "--store", st, "-qd", out).stdout)
	nr := runNixIn(t, nixStore, dir, nil, "--store", st, "-qR", "--include-outputs", drv)
	gr := runGonixIn(dir, nil, "nix-store", "--store", st, "-qR", "--include-outputs", drv)
	if nr != gr {
		t.Errorf("-qR --include-outputs:\nnix   %+v\ngonix %+v", nr, gr)
	}

	// Corrupt the output: both tools report it.
	ref := filepath.Join(st, out, "bin/ref")
	os.Chmod(filepath.Dir(ref), 0o755)
	os.Chmod(ref, 0o755)
	if err := os.WriteFile(ref, []byte("corrupt\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gr = runGonixIn(dir, nil, "nix-store", "--store", st, "--verify", "--check-contents")
	if gr.status != 1 || !strings.Contains(gr.stderr, "path '"+out+"' was modified!") ||
		!strings.Contains(gr.stderr, "warning: not all store errors were fixed") {
		t.Errorf("gonix --verify on a corrupted store: %+v", gr)
	}
	nr = runNixIn(t, nixStore, dir, nil, "--store", st, "--option", "substituters", "", "--verify-path", out)
	gr = runGonixIn(dir, nil, "nix-store", "--store", st, "--verify-path", out)
	if nr.status != 1 || nr != gr {
		t.Errorf("--verify-path of a corrupted path:\nnix   %+v\ngonix %+v", nr, gr)
	}
	gr = runGonixIn(dir, nil, "nix-store", "--store", st, "--export", out)
	if gr.status != 1 || !strings.Contains(gr.stderr, "hash of path '"+out+"' has changed") {
		t.Errorf("--export of a corrupted path: status %d, stderr %q", gr.status, gr.stderr)
	}
}
