package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
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
	return s.RemoveFiles(ctx, path)
}

// ReferrersOfAll maps every valid path to the valid paths referring to it
// (self-references included), read in one query: what a collector would
// otherwise ask path by path.
func (s *Store) ReferrersOfAll(ctx context.Context) (map[string][]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	err := s.withConn(func(c *sqlite.Conn) error {
		st := c.Prep(`select r.path, v.path from Refs join ValidPaths r on referrer = r.id join ValidPaths v on reference = v.id;`)
		defer st.Reset()
		for {
			row, err := st.Step()
			if err != nil {
				return fmt.Errorf("reading the references: %w", err)
			}
			if !row {
				return nil
			}
			ref := st.ColumnText(1)
			out[ref] = append(out[ref], st.ColumnText(0))
		}
	})
	return out, err
}

// InvalidatePaths drops the registrations of paths in one transaction, in
// the given order (referrers before what they refer to): the database
// refuses to drop a path still referred to by a valid one outside the
// batch. The files stay; RemoveFiles deletes them afterwards.
func (s *Store) InvalidatePaths(ctx context.Context, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	return s.withConn(func(c *sqlite.Conn) (err error) {
		end, err := sqlitex.ImmediateTransaction(c)
		if err != nil {
			return fmt.Errorf("starting a database transaction: %w", err)
		}
		defer end(&err)
		for _, p := range paths {
			st := c.Prep(sqlInvalidate)
			st.BindText(1, p)
			_, err := st.Step()
			st.Reset()
			if err != nil {
				return fmt.Errorf("invalidating '%s': %w", p, err)
			}
		}
		return nil
	})
}

// RemoveFiles deletes what is on disk at a store entry (invalid by now)
// and returns the bytes freed as Nix counts them.
func (s *Store) RemoveFiles(ctx context.Context, path string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
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
