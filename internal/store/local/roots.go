package local

import (
	"context"
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonix/internal/format/nixbase32"
)

// AddPermRoot makes gcRoot (an absolute path outside the store) a symlink
// to storePath and registers it as an indirect GC root, like Nix's
// addPermRoot. An existing gcRoot is replaced only when it is a symlink
// into the store.
func (s *Store) AddPermRoot(ctx context.Context, storePath, gcRoot string) (string, error) {
	gcRoot = filepath.Clean(gcRoot)
	if s.isInStoreDir(gcRoot) || strings.HasPrefix(gcRoot, s.realStore+"/") {
		return "", fmt.Errorf("creating a garbage collector root (%s) in the Nix store is forbidden (are you running nix-build inside the store?)", gcRoot)
	}
	if err := s.AddTempRoot(ctx, storePath); err != nil {
		return "", err
	}
	if st, err := os.Lstat(gcRoot); err == nil {
		target, lerr := os.Readlink(gcRoot)
		if st.Mode()&os.ModeSymlink == 0 || lerr != nil || !s.isInStoreDir(target) {
			return "", fmt.Errorf("cannot create symlink '%s'; already exists", gcRoot)
		}
	}
	if err := makeSymlink(gcRoot, storePath); err != nil {
		return "", err
	}
	if err := s.AddIndirectRoot(gcRoot); err != nil {
		return "", err
	}
	return gcRoot, nil
}

// AddIndirectRoot links gcroots/auto/<hash of path> to path, so the
// collector follows path (a symlink elsewhere) to a store path.
func (s *Store) AddIndirectRoot(path string) error {
	sum := sha1.Sum([]byte(path))
	dir := s.realState + "/gcroots/auto"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating '%s': %w", dir, err)
	}
	return makeSymlink(dir+"/"+nixbase32.EncodeToString(sum[:]), path)
}

func (s *Store) isInStoreDir(p string) bool {
	return len(p) > len(s.storeDir)+1 && strings.HasPrefix(p, s.storeDir) && p[len(s.storeDir)] == '/'
}

// makeSymlink atomically points link at target (a temporary link renamed
// over link).
func makeSymlink(link, target string) error {
	tmp := link + ".tmp-" + strconv.Itoa(os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("creating symlink '%s' -> '%s': %w", link, target, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("creating symlink '%s' -> '%s': %w", link, target, err)
	}
	return nil
}
