package eval

import (
	"bytes"
	"errors"
	"gonix/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fileFixture builds the directory the file builtin tests run in. Store
// paths computed from it do not depend on where it lives.
func fileFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "d", "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "d", "a.txt"), []byte("hello\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "d", "sub", "b"), []byte("x"), 0o644))
	must(os.Symlink("a.txt", filepath.Join(dir, "d", "link")))
	must(os.WriteFile(filepath.Join(dir, "f.txt"), []byte("abc"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "nul.bin"), []byte("a\x00b"), 0o644))
	must(os.Symlink("nowhere", filepath.Join(dir, "dangling")))
	return dir
}

// evalIn evaluates text with base directory dir as
// nix-instantiate --eval --strict -E does, and returns the printed value
// or "error: MSG", and what was written to stderr.
func evalIn(t *testing.T, dir, text string) (string, string) {
	t.Helper()
	var stderr bytes.Buffer
	st := New(Options{Stderr: &stderr, Getenv: func(string) (string, bool) { return "", false }, Home: "/home/test"})
	return evalPrint(t, st, text, dir, true), stderr.String()
}

// fileCases were measured with nix-instantiate 2.8.0 --eval --strict
// --readonly-mode in a copy of fileFixture ($D is its directory; the
// first line of the output is kept).
var fileCases = []struct{ expr, want string }{
	{`builtins.readFile ./f.txt`, `"abc"`},
	{`builtins.readFile "$D/f.txt"`, `"abc"`},
	{`builtins.readFile ./nope`, `error: opening file '$D/nope': No such file or directory`},
	{`builtins.readFile ./nul.bin`, `error: the contents of the file '$D/nul.bin' cannot be represented as a Nix string`},
	{`builtins.readFile ./d`, `error: reading from file: Is a directory`},
	{`builtins.readFile "f.txt"`, `error: string 'f.txt' doesn't represent an absolute path`},
	{`builtins.readFile (builtins.toFile "x" "y")`, `error: path '/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x' is not valid`},
	{`builtins.readDir ./d`, `{ "a.txt" = "regular"; link = "symlink"; sub = "directory"; }`},
	{`builtins.readDir ./f.txt`, `error: opening directory '$D/f.txt': Not a directory`},
	{`builtins.readDir ./nope`, `error: opening directory '$D/nope': No such file or directory`},
	{`builtins.pathExists ./d`, `true`},
	{`builtins.pathExists ./nope`, `false`},
	{`builtins.pathExists ./dangling`, `true`},
	{`builtins.pathExists "$D/f.txt/"`, `false`},
	{`builtins.pathExists "nope"`, `error: string 'nope' doesn't represent an absolute path`},
	{`builtins.hashFile "md5" ./f.txt`, `"900150983cd24fb0d6963f7d28e17f72"`},
	{`builtins.hashFile "sha1" ./f.txt`, `"a9993e364706816aba3e25717850c26c9cd0d89d"`},
	{`builtins.hashFile "sha256" ./f.txt`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
	{`builtins.hashFile "sha512" ./f.txt`, `"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"`},
	{`builtins.hashFile "sha256" ./nope`, `error: opening file '$D/nope': No such file or directory`},
	{`builtins.hashFile "crc32" ./f.txt`, `error: unknown hash algorithm 'crc32'`},
	{`builtins.hashString "md5" "abc"`, `"900150983cd24fb0d6963f7d28e17f72"`},
	{`builtins.hashString "sha1" ""`, `"da39a3ee5e6b4b0d3255bfef95601890afd80709"`},
	{`builtins.hashString "sha256" "${./f.txt}"`, `"651c4fbcf46e44a90b831da49a65882f4b62a07889923ad1f34fec47560f9ede"`},
	{`builtins.hashString "sha512" "abc"`, `"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"`},
	{`builtins.hashString "foo" "x"`, `error: unknown hash algorithm 'foo'`},
	{`builtins.hashString "md5" ./f.txt`, `error: value is a path while a string was expected`},
	{`builtins.toFile "foo" "bar"`, `"/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"`},
	{`builtins.getContext (builtins.toFile "foo" "${builtins.toFile "x" "y"} z")`, `{ "/nix/store/0jwy3i5vrjyngjq6p10kmsn0j1nncjhx-foo" = { path = true; }; }`},
	{`builtins.toFile "foo" "${./f.txt}"`, `"/nix/store/1r6bz0ks23v9j2nfvjmqg8c8q1g5diz2-foo"`},
	{`builtins.toFile "a b" "bar"`, `error: store path 'nfnnd9bvjy57sph724ya89s1na18i7c1-a b' contains illegal character ' '`},
	{`builtins.toFile "" "bar"`, `error: store path '8g1jgazvb2y10ly38rac72lrqlxkkhj1-' has an empty name`},
	{`builtins.toFile "foo" "${(derivation {name="d"; system="x"; builder="b";}).drvPath}"`, `error: in 'toFile': the file named 'foo' must not contain a reference to a derivation but contains (=/nix/store/nzvhjdd45mdh8mkqm4vz4hdqsjrvkm8j-d.drv)`},
	{`builtins.toFile "foo" "${derivation {name="d"; system="x"; builder="b";}}"`, `error: in 'toFile': the file named 'foo' must not contain a reference to a derivation but contains (!out!/nix/store/nzvhjdd45mdh8mkqm4vz4hdqsjrvkm8j-d.drv)`},
	{`builtins.toFile (builtins.toFile "x" "y") "a"`, `error: the string '/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x' is not allowed to refer to a store path (such as '/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x')`},
	{`builtins.path { path = ./d; }`, `"/nix/store/pqn0c5yvg56ax8mi28r5sa5glfzvarqk-d"`},
	{`builtins.getContext (builtins.path { path = ./d; name = "foo"; })`, `{ "/nix/store/id1jdvm49lzslkd6d71xa6qmbazjxa44-foo" = { path = true; }; }`},
	{`builtins.path { path = ./f.txt; recursive = false; }`, `"/nix/store/gi3ik8hi743zra07q0cxxwdk9aq67697-f.txt"`},
	{`builtins.path { path = ./f.txt; recursive = false; sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; }`, `"/nix/store/gi3ik8hi743zra07q0cxxwdk9aq67697-f.txt"`},
	{`builtins.path { path = ./f.txt; recursive = false; sha256 = "0000000000000000000000000000000000000000000000000000000000000000"; }`, `error: store path mismatch in (possibly filtered) path added from '$D/f.txt'`},
	{`builtins.path { path = ./f.txt; sha256 = "xyz"; }`, `error: hash 'xyz' has wrong length for hash type 'sha256'`},
	{`builtins.path { path = ./d; foo = 1; }`, `error: unsupported argument 'foo' to 'addPath'`},
	{`builtins.path { name = "x"; }`, `error: 'path' required`},
	{`builtins.path { path = ./nope; }`, `error: getting status of '$D/nope': No such file or directory`},
	{`builtins.path { path = "rel"; }`, `error: string 'rel' doesn't represent an absolute path`},
	{`builtins.path { path = ./d; filter = p: t: t == "directory"; }`, `"/nix/store/gn547cmpnyd1hjxagsgpsh2svz5gqxi5-d"`},
	{`builtins.path { path = ./d; filter = p: t: 1; }`, `error: value is an integer while a Boolean was expected`},
	{`builtins.path { path = ./d; name = "a b"; }`, `error: store path 'nj1an8l6da1fpi4fcr348pf9mdb3y0av-a b' contains illegal character ' '`},
	{`builtins.path { path = ./dangling; }`, `"/nix/store/i9s602wqnwlz1rz6979x039a1snpz3wf-dangling"`},
	{`builtins.filterSource (p: t: true) ./d`, `"/nix/store/pqn0c5yvg56ax8mi28r5sa5glfzvarqk-d"`},
	{`builtins.filterSource (p: t: baseNameOf p != "sub") ./d`, `"/nix/store/4d09fvfc9jmlskq1fkz4y2s73fxrj850-d"`},
	{`builtins.filterSource 1 ./d`, `error: first argument in call to 'filterSource' is not a function but an integer`},
	{`builtins.filterSource { __functor = s: p: t: true; } ./d`, `error: first argument in call to 'filterSource' is not a function but a set`},
	{`builtins.filterSource (p: t: true) "${./d}"`, `error: path '/nix/store/pqn0c5yvg56ax8mi28r5sa5glfzvarqk-d' is not valid`},
	{`builtins.tryEval (builtins.filterSource (p: t: throw "no") ./d)`, `{ success = false; value = false; }`},
	{`builtins.storePath "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"`, `"/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"`},
	{`builtins.getContext (builtins.storePath "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo")`, `{ "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo" = { path = true; }; }`},
	{`builtins.storePath ./f.txt`, `error: path '$D/f.txt' is not in the Nix store`},
	{`builtins.storePath "/nix/store//vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"`, `error: path '/nix/store' is not in the Nix store`},
	{`builtins.storePath "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo/"`, `"/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo/"`},
	{`builtins.getContext (builtins.storePath (builtins.toFile "x" "y"))`, `{ "/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x" = { path = true; }; }`},
	{`builtins.toFile "foo" ""`, `"/nix/store/3z5jmrizpdn0k9mi2qfpbn7g4bn542y0-foo"`},
	{`builtins.path { path = ./d; filter = null; }`, `error: attempt to call something which is not a function but null`},
	{`builtins.filterSource (p: t: true) ./d/sub/b`, `"/nix/store/zydyrz2ddv6vqfn3i24yd8dkmn740f6d-b"`},
}

func TestFileBuiltins(t *testing.T) {
	dir := fileFixture(t)
	for _, c := range fileCases {
		expr := strings.ReplaceAll(c.expr, "$D", dir)
		want := strings.ReplaceAll(c.want, "$D", dir)
		got, _ := evalIn(t, dir, expr)
		if got != want {
			t.Errorf("%s\n got: %s\nwant: %s", expr, got, want)
		}
	}
}

func TestFileBuiltinsStderr(t *testing.T) {
	dir := fileFixture(t)
	cases := []struct{ expr, wantOut, wantErr string }{
		// The filter sees every entry below the root, in NAR order.
		{`builtins.path { path = ./d; filter = p: t: builtins.trace "${p} ${t}" true; }`,
			`"/nix/store/pqn0c5yvg56ax8mi28r5sa5glfzvarqk-d"`,
			"trace: $D/d/a.txt regular\ntrace: $D/d/link symlink\ntrace: $D/d/sub directory\ntrace: $D/d/sub/b regular\n"},
		{`builtins.path { path = ./f.txt; sha256 = ""; }`,
			`error: store path mismatch in (possibly filtered) path added from '$D/f.txt'`,
			"warning: found empty hash, assuming 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='\n"},
	}
	for _, c := range cases {
		out, errOut := evalIn(t, dir, c.expr)
		if want := strings.ReplaceAll(c.wantOut, "$D", dir); out != want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, out, want)
		}
		if want := strings.ReplaceAll(c.wantErr, "$D", dir); errOut != want {
			t.Errorf("%s: stderr\n got: %q\nwant: %q", c.expr, errOut, want)
		}
	}
}

// TestFileErrorShape checks what the CLI renders besides the message:
// position, trace lines and the usage-error kind.
func TestFileErrorShape(t *testing.T) {
	dir := fileFixture(t)
	cases := []struct {
		expr   string
		kind   ErrorKind
		hasPos bool
		trace  []string
	}{
		{`builtins.readFile ./nope`, ErrEval, false, nil},
		{`builtins.readFile "rel"`, ErrEval, true, []string{"while realising the context of a path"}},
		{`builtins.readFile (builtins.toFile "x" "y")`, ErrEval, false, []string{"while realising the context of path '/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x'"}},
		{`builtins.hashString "foo" "x"`, ErrUsage, false, nil},
		{`builtins.path { path = ./nope; }`, ErrEval, false, []string{"while adding path '" + dir + "/nope'"}},
		{`builtins.path { path = ./d; foo = 1; }`, ErrEval, true, nil},
		{`builtins.toFile "a b" "x"`, ErrEval, false, nil},
		{`builtins.filterSource 1 ./d`, ErrEval, true, nil},
	}
	for _, c := range cases {
		st := New(Options{Stderr: &bytes.Buffer{}})
		_, err := evalDeep(t, st, c.expr, dir)
		var ee *Error
		if !errors.As(err, &ee) {
			t.Errorf("%s: no evaluation error (%v)", c.expr, err)
			continue
		}
		var trace []string
		for _, tr := range ee.Trace {
			trace = append(trace, tr.Msg)
		}
		if ee.Kind != c.kind || ee.Pos.IsValid() != c.hasPos || strings.Join(trace, "|") != strings.Join(c.trace, "|") {
			t.Errorf("%s: kind %d pos %v trace %q; want kind %d pos %v trace %q", c.expr, ee.Kind, ee.Pos.IsValid(), trace, c.kind, c.hasPos, c.trace)
		}
	}
}

// nixOracle returns the path of nix-instantiate, skipping the test when
// it is absent (failing under CI=true).
func nixOracle(t *testing.T) string {
	t.Helper()
	return testutil.NixTool(t, "nix-instantiate")
}

// oracleFirstLine runs real Nix on expr in dir and returns the first line
// of its output (stdout and stderr together).
func oracleFirstLine(t *testing.T, nix, dir, expr string) string {
	t.Helper()
	cmd := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--readonly-mode", "--option", "substituters", "", "-E", expr)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	return line
}

// TestFileBuiltinsOracle re-measures fileCases on real Nix 2.8, so the
// table cannot drift from the oracle.
func TestFileBuiltinsOracle(t *testing.T) {
	nix := nixOracle(t)
	dir := fileFixture(t)
	for _, c := range fileCases {
		expr := strings.ReplaceAll(c.expr, "$D", dir)
		want := oracleFirstLine(t, nix, dir, expr)
		got, _ := evalIn(t, dir, expr)
		if got != want {
			t.Errorf("%s\n gonix: %s\n   nix: %s", expr, got, want)
		}
	}
}
