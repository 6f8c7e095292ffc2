package local

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestSyncPaths: small objects are fsynced entry by entry, large ones by
// one syncfs; symlinks and missing paths are no error, a store directory
// that cannot be opened is.
func TestSyncPaths(t *testing.T) {
	store := t.TempDir()
	small := filepath.Join(store, "small")
	os.MkdirAll(filepath.Join(small, "bin"), 0o755)
	os.WriteFile(filepath.Join(small, "bin", "x"), []byte("x"), 0o644)
	os.Symlink("x", filepath.Join(small, "bin", "y"))
	large := filepath.Join(store, "large")
	os.Mkdir(large, 0o755)
	for i := range maxFsyncEntries + 5 {
		os.WriteFile(filepath.Join(large, fmt.Sprint(i)), nil, 0o644)
	}
	link := filepath.Join(store, "link")
	os.Symlink("/nonexistent", link)
	file := filepath.Join(store, "file")
	os.WriteFile(file, []byte("f"), 0o444)
	for _, reals := range [][]string{{small}, {large}, {link}, {file}, {filepath.Join(store, "missing")}, {small, large, link, file}} {
		if err := syncPaths(store, reals); err != nil {
			t.Errorf("syncPaths(%q): %v", reals, err)
		}
	}
	if err := syncPaths(filepath.Join(store, "no-store-dir"), []string{file}); err == nil {
		t.Errorf("syncPaths with a missing store directory succeeded")
	}
}
