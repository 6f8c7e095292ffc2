package binarycache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gonix/internal/format/narinfo"
)

func TestAddClosure(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	sk, pk := testKey(t, "gonix-test-1")
	dir := t.TempDir()
	c := openCache(t, dir)
	// One path is there already: it is reported present, not copied.
	if err := c.AddPath(ctx, src, paths[0], "zstd", nil); err != nil {
		t.Fatal(err)
	}
	c = openCache(t, dir) // a fresh client knows nothing
	var mu sync.Mutex
	var copied, present []string
	started := 0
	got, err := c.AddClosure(ctx, src, []string{paths[2], paths[1], paths[0]}, CopyOptions{
		Jobs:  4,
		Start: func(n int) { started = n },
		Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			if p.Copied {
				copied = append(copied, p.Path)
			} else {
				present = append(present, p.Path)
			}
			if p.Total != 3 {
				t.Errorf("progress total %d", p.Total)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// b before c: c refers to b, so its upload waits.
	if started != 2 || len(got) != 2 || strings.Join(copied, " ") != paths[1]+" "+paths[2] || len(present) != 1 || present[0] != paths[0] {
		t.Errorf("started %d, copied %q (returned %q), present %q", started, copied, got, present)
	}
	// Copy cache to cache (signing on the way), then read it back.
	c2, err := OpenURL(ctx, "file://"+t.TempDir()+"?compression=br")
	if err != nil {
		t.Fatal(err)
	}
	c2.secretKey = &sk
	closure, err := c.Closure(ctx, []string{paths[2]})
	if err != nil || len(closure) != 3 || closure[0] != paths[0] || closure[2] != paths[2] {
		t.Fatalf("closure %q, %v", closure, err)
	}
	if _, err := c2.AddClosure(ctx, c.AsSource(), closure, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	if err := SubstituteClosure(ctx, c2, dst, []string{paths[2]}, []narinfo.PublicKey{pk}, true); err != nil {
		t.Fatal(err)
	}
	verify(t, dst)

	// A source whose NAR does not match its registration poisons nothing.
	bad := filepath.Join(dir, mustURL(t, c, paths[1]))
	data, _ := os.ReadFile(bad)
	os.WriteFile(bad, data[:len(data)/2], 0o644)
	c3, _ := OpenURL(ctx, "file://"+t.TempDir())
	_, err = c3.AddClosure(ctx, openCache(t, dir).AsSource(), closure, CopyOptions{Jobs: 2})
	if err == nil {
		t.Fatal("copied from a truncated NAR")
	}
	if ok, _ := c3.Has(ctx, paths[2]); ok {
		t.Error("referrer of a failed path was copied")
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("the error is the cancellation, not its cause: %v", err)
	}
}

func mustURL(t *testing.T, c *Cache, p string) string {
	t.Helper()
	ni, err := c.QueryPathInfo(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return ni.URL
}

func TestNarInfoFor(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	sk, pk := testKey(t, "k")
	info, _ := src.QueryPathInfo(ctx, paths[2])
	ni := NarInfoFor(info)
	if n, _ := ni.CheckSignatures([]narinfo.PublicKey{pk}); n != 0 {
		t.Errorf("unsigned: %d", n)
	}
	if err := ni.Sign(sk); err != nil {
		t.Fatal(err)
	}
	if n, _ := ni.CheckSignatures([]narinfo.PublicKey{pk}); n != 1 {
		t.Errorf("signed: %d", n)
	}
}
