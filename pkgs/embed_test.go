package gonixpkgs

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestUnpack: the unpacked tree is byte for byte the collection in this
// directory (every file the Nix code may reach is embedded), a second
// Unpack reuses it, and a changed collection gets another directory.
func TestUnpack(t *testing.T) {
	cache := t.TempDir()
	dir, err := Unpack(cache)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) == ".go" {
			return err
		}
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Errorf("%s not unpacked: %v", p, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the repository's", p)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d files compared", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "embed.go")); err == nil {
		t.Error("Go files were unpacked")
	}
	again, err := Unpack(cache)
	if err != nil || again != dir {
		t.Errorf("second Unpack: %q, %v; want %q", again, err, dir)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want 1 (no temporary leftovers)", len(entries))
	}
}
