package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreDigest: the digest ignores .drv files and lock files, changes
// with an output's bytes or executable bit, and a printed path must exist.
func TestStoreDigest(t *testing.T) {
	root := t.TempDir()
	store := filepath.Join(root, "nix/store")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(store, name), []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(store, name), mode)
	}
	write("aaa-x", "1\n", 0o444)
	base, err := storeDigest(root, []byte("/nix/store/aaa-x\n"))
	if err != nil {
		t.Fatal(err)
	}
	write("bbb-x.drv", "Derive(...)", 0o444)
	write("ccc-x.lock", "", 0o600)
	if d, _ := storeDigest(root, nil); d != base {
		t.Errorf("a .drv or lock file changed the digest")
	}
	write("aaa-x", "2\n", 0o444)
	if d, _ := storeDigest(root, nil); d == base {
		t.Errorf("other bytes, same digest")
	}
	write("aaa-x", "1\n", 0o555)
	if d, _ := storeDigest(root, nil); d == base {
		t.Errorf("executable bit ignored")
	}
	if _, err := storeDigest(root, []byte("/nix/store/zzz-missing\n")); err == nil || !strings.Contains(err.Error(), "not in the store") {
		t.Errorf("printed path missing from the store: %v", err)
	}
	if !strings.Contains(benchNix(3, 2), "genList") {
		t.Errorf("benchNix: %s", benchNix(3, 2))
	}
}
