package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gonix/internal/format/hash"
	"gonix/internal/store"
	"gonix/internal/testutil"
)

type logLines struct{ errs, infos []string }

func (l *logLines) Error(msg string) { l.errs = append(l.errs, msg) }
func (l *logLines) Info(msg string)  { l.infos = append(l.infos, msg) }

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestOptimise adds store paths sharing files and checks that --optimise
// leaves one inode per distinct NAR (spec/store.md §7.9), keeps every NAR
// hash, frees nothing the second time, and that Nix 2.8's own
// `--verify --check-contents` accepts the result.
func TestOptimise(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	write := func(rel, data string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	big := strings.Repeat("shared content\n", 1000) // 15000 bytes
	write("a/same", big, 0o644)
	write("a/exe", "#!/bin/sh\n", 0o755)
	write("a/sub/other", "only in a\n", 0o644)
	write("b/deep/dir/same", big, 0o644)
	write("b/exe", "#!/bin/sh\n", 0o644) // same bytes, not executable: a different NAR
	write("b/x", "#!/bin/sh\n", 0o755)
	write("c", big, 0o644)
	for _, d := range []string{"a", "b"} {
		if err := os.Symlink("/some/target", filepath.Join(src, d, "link")); err != nil {
			t.Fatal(err)
		}
	}

	root := t.TempDir()
	s := openTest(t, root)
	var paths []string
	for _, n := range []string{"a", "b", "c"} {
		p, err := s.AddToStore(ctx, n, filepath.Join(src, n), store.Recursive, hash.SHA256, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	a, b, c := s.RealPath(paths[0]), s.RealPath(paths[1]), s.RealPath(paths[2])

	var log logLines
	stats, err := s.Optimise(ctx, &log)
	if err != nil {
		t.Fatal(err)
	}
	// Linked: b/deep/dir/same and c onto a/same, b/x onto a/exe, b/link onto a/link.
	if stats.FilesLinked != 4 || stats.BytesFreed != uint64(2*len(big)+10+len("/some/target")) {
		t.Errorf("stats = %+v, want 4 files, %d bytes", stats, 2*len(big)+10+len("/some/target"))
	}
	same := inode(t, a+"/same")
	for _, p := range []string{b + "/deep/dir/same", c} {
		if inode(t, p) != same {
			t.Errorf("%s not linked to %s", p, a+"/same")
		}
	}
	if inode(t, b+"/x") != inode(t, a+"/exe") {
		t.Errorf("b/x not linked to a/exe")
	}
	if inode(t, b+"/exe") == inode(t, a+"/exe") {
		t.Errorf("executable and non-executable files share an inode")
	}
	if inode(t, b+"/link") != inode(t, a+"/link") {
		t.Errorf("equal symlinks not linked")
	}
	if len(log.errs) != 0 {
		t.Errorf("unexpected warnings: %q", log.errs)
	}
	// The directories toggled writable are read-only with mtime 1 again.
	var st unix.Stat_t
	if err := unix.Lstat(b+"/deep/dir", &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o7777 != 0o555 || st.Mtim.Sec != 1 {
		t.Errorf("b/deep/dir mode %o mtime %d, want 555 and 1", st.Mode&0o7777, st.Mtim.Sec)
	}
	links, err := os.ReadDir(root + "/nix/store/.links")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if len(l.Name()) != 52 {
			t.Errorf("link name %q is not a 52-character nixbase32 sha256", l.Name())
		}
	}
	if bad, err := s.Verify(ctx, true, &log); err != nil || bad {
		t.Fatalf("verify after optimise: bad=%v err=%v %q", bad, err, log.errs)
	}

	stats, err = s.Optimise(ctx, &log)
	if err != nil {
		t.Fatal(err)
	}
	if stats != (OptimiseStats{}) {
		t.Errorf("second optimise: %+v, want nothing", stats)
	}

	// A writable file is skipped with Nix's warning and left alone.
	if err := os.Chmod(a+"/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(a+"/sub/other", 0o644); err != nil {
		t.Fatal(err)
	}
	log = logLines{}
	if _, err := s.Optimise(ctx, &log); err != nil {
		t.Fatal(err)
	}
	want := "warning: skipping suspicious writable file '" + a + "/sub/other'"
	if len(log.errs) != 1 || log.errs[0] != want {
		t.Errorf("warnings = %q, want %q", log.errs, want)
	}
	os.Chmod(a+"/sub/other", 0o444)
	os.Chmod(a+"/sub", 0o555)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	nixStore := testutil.NixTool(t, "nix-store")
	out, err := exec.Command(nixStore, "--store", root, "--option", "substituters", "",
		"--verify", "--check-contents").CombinedOutput()
	if err != nil {
		t.Fatalf("Nix 2.8 nix-store --verify --check-contents on the optimised store: %v\n%s", err, out)
	}
}
