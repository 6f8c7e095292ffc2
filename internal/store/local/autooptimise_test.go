package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store"
)

// addSharing adds, by every way the store adds objects (AddToStore, AddFixed,
// AddText, AddNAR, RegisterValidPaths for a build output), objects holding
// one identical file, and returns the real paths of those files.
func addSharing(t *testing.T, s *Store) []string {
	t.Helper()
	ctx := context.Background()
	src := t.TempDir()
	data := strings.Repeat("shared content\n", 1000)
	for _, f := range []string{"tree/same", "tree/sub/same", "flat"} {
		p := filepath.Join(src, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var files []string
	tree, err := s.AddToStore(ctx, "tree", filepath.Join(src, "tree"), store.Recursive, hash.SHA256, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, s.RealPath(tree)+"/same", s.RealPath(tree)+"/sub/same")
	fixed, err := s.AddFixed(context.Background(), "fixed", filepath.Join(src, "flat"), store.Flat, hash.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, s.RealPath(fixed))
	text, err := s.AddText(ctx, "text", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, s.RealPath(text))

	var buf bytes.Buffer
	if err := nar.Dump(&buf, filepath.Join(src, "tree"), nil); err != nil {
		t.Fatal(err)
	}
	imported := s.storeDir + "/00000000000000000000000000000000-imported"
	if err := s.AddNAR(ctx, &store.PathInfo{Path: imported}, &buf); err != nil {
		t.Fatal(err)
	}
	files = append(files, s.RealPath(imported)+"/sub/same")

	// A build output: in place and canonical, then registered.
	out := s.storeDir + "/11111111111111111111111111111111-out"
	if err := os.MkdirAll(s.RealPath(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.RealPath(out)+"/same", []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Canonicalise(s.RealPath(out)); err != nil {
		t.Fatal(err)
	}
	sum, size, err := nar.HashPath(s.RealPath(out), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterValidPaths(ctx, []*store.PathInfo{{Path: out,
		NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum}, NarSize: uint64(size)}}); err != nil {
		t.Fatal(err)
	}
	files = append(files, s.RealPath(out)+"/same")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return files
}

func linksEntries(t *testing.T, s *Store) []string {
	t.Helper()
	ents, err := os.ReadDir(s.realStore + "/.links")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestAutoOptimise: with auto-optimise-store every new object's files are
// linked through .links as they are added (Nix 2.8's optimisePath in
// addToStore, addTextToStore and registerOutputs), so identical files
// share one inode, while the objects' NAR hashes stay what they were.
func TestAutoOptimise(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Root: t.TempDir(), AutoOptimise: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files := addSharing(t, s)
	want := inode(t, files[0])
	for _, f := range files[1:] {
		if got := inode(t, f); got != want {
			t.Errorf("%s: inode %d, want %d (shared with %s)", f, got, want, files[0])
		}
	}
	links := linksEntries(t, s)
	if len(links) != 1 {
		t.Fatalf(".links holds %q, want one entry", links)
	}
	if got := inode(t, s.realStore+"/.links/"+links[0]); got != want {
		t.Errorf(".links/%s: inode %d, want %d", links[0], got, want)
	}
	var log recordLog
	bad, err := s.Verify(ctx, true, &log)
	if err != nil {
		t.Fatal(err)
	}
	if bad || len(log.errs) != 0 {
		t.Errorf("verify --check-contents: bad=%v errors %q", bad, log.errs)
	}
	// Optimise finds nothing left to do.
	stats, err := s.Optimise(ctx, discardLog{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.FilesLinked != 0 {
		t.Errorf("optimise after auto-optimisation linked %d files", stats.FilesLinked)
	}
}

// TestNoAutoOptimise: without the setting nothing is linked.
func TestNoAutoOptimise(t *testing.T) {
	s := openTest(t, t.TempDir())
	files := addSharing(t, s)
	if links := linksEntries(t, s); len(links) != 0 {
		t.Errorf(".links holds %q, want nothing", links)
	}
	if inode(t, files[0]) == inode(t, files[2]) {
		t.Errorf("%s and %s share an inode", files[0], files[2])
	}
}
