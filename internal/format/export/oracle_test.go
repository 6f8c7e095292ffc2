package export

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/testutil"
)

// nixStore runs Nix 2.8 on the chroot store root, with substituters off
// and caches kept in the test's temporary directory.
type nixStore struct {
	t    *testing.T
	root string
	home string
}

func (s nixStore) run(stdin []byte, tool string, args ...string) string {
	s.t.Helper()
	args = append([]string{"--store", s.root, "--option", "substituters", ""}, args...)
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "HOME="+s.home, "XDG_CACHE_HOME="+filepath.Join(s.home, "cache"))
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

func lines(s string) []string { return strings.Fields(s) }

// TestOracle exports a small closure with nix-store --export (a toFile
// referring to another, an added tree, a built output with a deriver) and
// checks that the Reader sees what nix-store -q and --dump report, that
// the Writer reproduces Nix's stream byte for byte from that information,
// and that nix-store --import accepts the Writer's stream into a fresh
// store.
func TestOracle(t *testing.T) {
	testutil.NixTool(t, "nix-store")
	testutil.NixTool(t, "nix-instantiate")
	tmp := t.TempDir()
	src := nixStore{t: t, root: filepath.Join(tmp, "src"), home: filepath.Join(tmp, "home")}

	tree := filepath.Join(tmp, "tree")
	for _, err := range []error{
		os.MkdirAll(filepath.Join(tree, "sub"), 0o777),
		os.WriteFile(filepath.Join(tree, "exe"), []byte("#!/bin/sh\n"), 0o755),
		os.WriteFile(filepath.Join(tree, "sub", "big"), bytes.Repeat([]byte("0123456789abcdef"), 20000), 0o644),
		os.Symlink("sub/big", filepath.Join(tree, "link")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	added := strings.TrimSpace(src.run(nil, "nix-store", "--add", tree))
	expr := `let
	  a = builtins.toFile "a" "x";
	  b = builtins.toFile "b" "ref ${a}";
	  d = derivation {
	    name = "d"; system = builtins.currentSystem; builder = "/bin/sh";
	    args = [ "-c" "echo ${b} > $out" ];
	  };
	in d`
	drv := strings.TrimSpace(src.run(nil, "nix-instantiate", "--read-write-mode", "-E", expr))
	built := strings.TrimSpace(src.run(nil, "nix-store", "--option", "sandbox", "true",
		"--option", "sandbox-paths", "/bin /lib /lib64 /usr", "--option", "build-users-group", "", "--realise", drv))
	paths := lines(src.run(nil, "nix-store", "-qR", built, added))
	if len(paths) != 4 {
		t.Fatalf("closure %q: want a, b, d and tree", paths)
	}
	nixStream := []byte(src.run(nil, "nix-store", append([]string{"--export"}, paths...)...))

	// What Nix says about each path, and its NAR.
	var want []item
	for _, p := range paths {
		e := Entry{Path: p, References: lines(src.run(nil, "nix-store", "-q", "--references", p))}
		if d := strings.TrimSpace(src.run(nil, "nix-store", "-q", "--deriver", p)); d != "unknown-deriver" {
			e.Deriver = d
		}
		if len(e.References) == 0 {
			e.References = nil
		}
		// --dump takes a file, so name the chroot store's real one.
		want = append(want, item{Entry: e, NAR: []byte(src.run(nil, "nix-store", "--dump", filepath.Join(src.root, p)))})
	}
	for _, w := range want {
		if w.Path == built && (w.Deriver != drv || len(w.References) != 1) {
			t.Fatalf("built output %+v: want deriver %s and one reference", w.Entry, drv)
		}
	}

	got, err := readAll(t, nixStream)
	if err != nil {
		t.Fatal(err)
	}
	ignoreSums := cmp.FilterPath(func(p cmp.Path) bool {
		s := p.Last().String()
		return s == ".NarHash" || s == ".NarSize"
	}, cmp.Ignore())
	if d := cmp.Diff(want, got, ignoreSums, bytesEqual); d != "" {
		t.Errorf("Reader on nix-store --export (-nix +ours):\n%s", d)
	}

	ours := writeAll(t, want)
	if !bytes.Equal(ours, nixStream) {
		t.Errorf("Writer differs from nix-store --export (%d vs %d bytes)", len(ours), len(nixStream))
	}

	dst := nixStore{t: t, root: filepath.Join(tmp, "dst"), home: src.home}
	imported := lines(dst.run(ours, "nix-store", "--import"))
	if d := cmp.Diff(paths, imported); d != "" {
		t.Errorf("nix-store --import of our stream printed (-want +got):\n%s", d)
	}
	dst.run(nil, "nix-store", "--verify", "--check-contents")
	for _, w := range want {
		refs := lines(dst.run(nil, "nix-store", "-q", "--references", w.Path))
		if len(refs) == 0 {
			refs = nil
		}
		if d := cmp.Diff(w.References, refs); d != "" {
			t.Errorf("%s: references after import (-want +got):\n%s", w.Path, d)
		}
		if got := []byte(dst.run(nil, "nix-store", "--dump", filepath.Join(dst.root, w.Path))); !bytes.Equal(got, w.NAR) {
			t.Errorf("%s: NAR after import differs", w.Path)
		}
	}
	if d := strings.TrimSpace(dst.run(nil, "nix-store", "-q", "--deriver", built)); d != drv {
		t.Errorf("deriver after import = %s, want %s", d, drv)
	}
}
