package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// LockGC takes gc.lock exclusively, as Nix 2.8's collector does for its
// whole run (spec/store.md §8.2): no process can add a temporary root
// while it is held. Pending registrations are committed first. release
// drops the lock.
func (s *Store) LockGC(ctx context.Context) (release func(), err error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	f, err := openLockFile(s.realState + "/gc.lock")
	if err != nil {
		return nil, err
	}
	if err := flock(ctx, f, unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// DeletePath removes the store entry path (any name directly inside the
// store directory) the way Nix 2.8's collector does: a valid path is
// invalidated first in one transaction — refused while other valid paths
// refer to it — and then its files are deleted. It returns the bytes
// freed as Nix counts them (sizes of non-directories with one or two
// links).
func (s *Store) DeletePath(ctx context.Context, path string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := s.Flush(ctx); err != nil {
		return 0, err
	}
	if ok, err := s.isValid(path); err != nil {
		return 0, err
	} else if ok {
		if err := s.invalidate(path); err != nil {
			return 0, err
		}
	}
	real := s.RealPath(path)
	var freed uint64
	err := filepath.WalkDir(real, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			os.Chmod(q, 0o755)
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(q, &st) == nil && (st.Nlink == 1 || st.Nlink == 2) {
			freed += uint64(st.Size)
		}
		return nil
	})
	if err != nil {
		return freed, fmt.Errorf("deleting '%s': %w", real, err)
	}
	if err := os.RemoveAll(real); err != nil {
		return freed, fmt.Errorf("deleting '%s': %w", real, err)
	}
	return freed, nil
}
