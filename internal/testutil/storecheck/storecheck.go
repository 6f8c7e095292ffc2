package storecheck

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store"
	"gonix/internal/store/local"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// DBPath is where the database of the chroot store root lies.
func DBPath(root string) string {
	return filepath.Join(root, "nix/var/nix/db/db.sqlite")
}

// ValidPaths checks the store at root and returns its valid paths. When the
// database exists it first passes DB; then, for every valid path, the NAR
// hash and size of its files must be the registered ones, and check (when
// not nil) is called with the path, its registration and where its files
// lie, for what the caller knows the path must hold.
func ValidPaths(ctx context.Context, root string, check func(p string, info *store.PathInfo, real string) error) ([]string, error) {
	if _, err := os.Stat(DBPath(root)); err == nil {
		if err := DB(DBPath(root)); err != nil {
			return nil, err
		}
	}
	s, err := local.Open(ctx, local.Options{Root: root})
	if err != nil {
		return nil, fmt.Errorf("open the store: %w", err)
	}
	defer s.Close()
	all, err := s.QueryAllValidPaths(ctx)
	if err != nil {
		return nil, fmt.Errorf("query valid paths: %w", err)
	}
	for _, p := range all {
		info, err := s.QueryPathInfo(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", p, err)
		}
		real := s.RealPath(p)
		sum, size, err := nar.HashPath(real, nil)
		if err != nil {
			return nil, fmt.Errorf("valid path %s: hash its files: %w", p, err)
		}
		if got := (hash.Hash{Algo: hash.SHA256, Digest: sum}); !got.Equal(info.NarHash) || uint64(size) != info.NarSize {
			return nil, fmt.Errorf("valid path %s is not what was registered: files give %s (%d bytes), database says %s (%d bytes)",
				p, got, size, info.NarHash, info.NarSize)
		}
		if check != nil {
			if err := check(p, info, real); err != nil {
				return nil, err
			}
		}
	}
	return all, nil
}

// DB opens the database read-only, apart from the store's own connection
// and recovery code (which could paper over a corrupt file), and runs
// SQLite's integrity and foreign key checks. A process killed while it
// wrote in rollback-journal mode (the store's database is created in that
// mode, then switched to WAL) leaves a hot journal, which SQLite rolls back
// when the database is next opened for writing and which a read-only
// connection refuses ("attempt to write a readonly database"): then a copy
// of the two files is checked, opened for writing, which is what the next
// process to open the store sees.
func DB(dbPath string) error {
	if st, err := os.Stat(dbPath + "-journal"); err == nil && st.Size() > 0 {
		copied, err := copyWithJournal(dbPath)
		if err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(copied))
		return check(copied, sqlite.OpenReadWrite)
	}
	return check(dbPath, sqlite.OpenReadOnly)
}

// copyWithJournal copies the database at dbPath and its rollback journal
// into a new temporary directory and returns the copy's path.
func copyWithJournal(dbPath string) (string, error) {
	dir, err := os.MkdirTemp("", "storecheck-db")
	if err != nil {
		return "", err
	}
	copied := filepath.Join(dir, filepath.Base(dbPath))
	for _, suffix := range []string{"", "-journal"} {
		b, err := os.ReadFile(dbPath + suffix)
		if err == nil {
			err = os.WriteFile(copied+suffix, b, 0o600)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("copy %s with its journal: %w", dbPath, err)
		}
	}
	return copied, nil
}

// check runs the integrity and foreign key checks on the database at
// dbPath, opened with flags.
func check(dbPath string, flags sqlite.OpenFlags) error {
	c, err := sqlite.OpenConn(dbPath, flags)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer c.Close()
	var rows []string
	err = sqlitex.ExecuteTransient(c, "pragma integrity_check", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { rows = append(rows, st.ColumnText(0)); return nil },
	})
	if err != nil {
		return fmt.Errorf("integrity_check %s: %w", dbPath, err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("integrity_check %s: %q", dbPath, rows)
	}
	fk := 0
	err = sqlitex.ExecuteTransient(c, "pragma foreign_key_check", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { fk++; return nil },
	})
	if err != nil {
		return fmt.Errorf("foreign_key_check %s: %w", dbPath, err)
	}
	if fk != 0 {
		return fmt.Errorf("foreign_key_check %s: %d violations", dbPath, fk)
	}
	return nil
}

// Canonical requires Nix's metadata on every entry of the store object at
// real: mtime 1 and mode 0444 or 0555 (symlinks: only the mtime).
func Canonical(real string) error {
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return fmt.Errorf("lstat %s: %w", p, err)
		}
		if st.Mtim.Sec != 1 {
			return fmt.Errorf("%s: mtime %d, want 1", p, st.Mtim.Sec)
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
			if perm := st.Mode & 0o7777; perm != 0o444 && perm != 0o555 {
				return fmt.Errorf("%s: mode %o, want 444 or 555", p, perm)
			}
		}
		return nil
	})
}
