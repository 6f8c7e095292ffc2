package subst

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gonix/internal/format/narinfo"
	"gonix/internal/store/binarycache"
)

func TestDiskCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.cache(t, "", true)
	path := filepath.Join(t.TempDir(), "binary-cache-v6.sqlite")
	d, err := OpenDiskCache(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	missing := "/nix/store/" + "cccccccccccccccccccccccccccccccc" + "-missing"
	w := d.Wrap(c)
	want, err := w.QueryPathInfo(ctx, f.b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.QueryPathInfo(ctx, missing); !errors.Is(err, binarycache.ErrNotFound) {
		t.Fatalf("missing path: %v", err)
	}
	// The cache loses b's narinfo: the disk cache still answers, the same.
	if err := os.Remove(filepath.Join(c.Dir(), filepath.Base(f.b)[:32]+".narinfo")); err != nil {
		t.Fatal(err)
	}
	d2, err := OpenDiskCache(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	got, err := d2.Wrap(c).QueryPathInfo(ctx, f.b)
	if err != nil {
		t.Fatalf("from the disk cache: %v", err)
	}
	if string(got.MarshalText()) != string(want.MarshalText()) {
		t.Errorf("remembered narinfo:\n%s\nwant\n%s", got.MarshalText(), want.MarshalText())
	}
	if n, err := got.CheckSignatures([]narinfo.PublicKey{f.pk}); err != nil || n != 1 {
		t.Errorf("remembered signature does not verify: %d, %v", n, err)
	}
	if _, err := d2.Wrap(c).QueryPathInfo(ctx, missing); !errors.Is(err, binarycache.ErrNotFound) {
		t.Fatalf("remembered absence: %v", err)
	}
	// After the positive TTL the cache is asked again (and b is gone).
	d2.now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	if _, err := d2.Wrap(c).QueryPathInfo(ctx, f.b); !errors.Is(err, binarycache.ErrNotFound) {
		t.Errorf("after the TTL: %v, want the cache's own answer (not found)", err)
	}
}
