package gonixpkgs

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// FS holds the collection: every .nix file here and the package
// directories with their scripts and pins.
//
//go:embed *.nix */*
var FS embed.FS

// Digest is a hash of every embedded file's name and content: the
// collection's version, naming the directory Unpack writes.
func Digest() (string, error) {
	var names []string
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := FS.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// Unpack makes sure cacheDir/gonixpkgs-<Digest> holds the collection and
// returns that directory. The files must be real (Nix path literals such
// as ./fixup.sh are copied into the store from disk); store paths made
// from them depend only on names and contents, never on this directory.
// The tree is written under a temporary name and renamed into place, so
// a concurrent or interrupted Unpack never leaves a partial tree behind.
func Unpack(cacheDir string) (string, error) {
	d, err := Digest()
	if err != nil {
		return "", fmt.Errorf("gonixpkgs: %w", err)
	}
	dir := filepath.Join(cacheDir, "gonixpkgs-"+d)
	if _, err := os.Stat(filepath.Join(dir, "default.nix")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("gonixpkgs: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".gonixpkgs-tmp-")
	if err != nil {
		return "", fmt.Errorf("gonixpkgs: %w", err)
	}
	defer os.RemoveAll(tmp)
	err = fs.WalkDir(FS, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		target := filepath.Join(tmp, filepath.FromSlash(p))
		if e.IsDir() {
			return os.Mkdir(target, 0o755)
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if filepath.Ext(p) == ".sh" && filepath.Base(filepath.Dir(target)) == "debian" {
			mode = 0o755 // update-pins.sh
		}
		return os.WriteFile(target, b, mode)
	})
	if err != nil {
		return "", fmt.Errorf("gonixpkgs: unpacking into %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("gonixpkgs: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "default.nix")); serr == nil {
			return dir, nil // another process was first
		}
		return "", fmt.Errorf("gonixpkgs: %w", err)
	}
	return dir, nil
}
