package local

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// syncFS flushes the file system holding dir, so files written before a
// registration are on disk before the database says they are valid.
func syncFS(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("syncing '%s': %w", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return fmt.Errorf("syncing '%s': %w", dir, err)
	}
	return nil
}

// canonicalise gives a new store object Nix's metadata (spec/store.md §7.6):
// permissions 0444 or 0555, mtime 1, owned by the store's user. It never
// follows symlinks.
func canonicalise(root string) error {
	uid, gid := os.Geteuid(), os.Getegid()
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("canonicalising '%s': %w", p, err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return fmt.Errorf("canonicalising '%s': %w", p, err)
		}
		sys := &st
		typ := sys.Mode & unix.S_IFMT
		switch typ {
		case unix.S_IFREG, unix.S_IFDIR, unix.S_IFLNK:
		default:
			return fmt.Errorf("file '%s' has an unsupported type", p)
		}
		if typ != unix.S_IFLNK {
			perm := uint32(sys.Mode) & 0o7777
			if perm != 0o444 && perm != 0o555 {
				want := uint32(0o444)
				if perm&0o100 != 0 {
					want |= 0o111
				}
				if err := unix.Fchmodat(unix.AT_FDCWD, p, want, 0); err != nil {
					return fmt.Errorf("changing mode of '%s': %w", p, err)
				}
			}
		}
		if int(sys.Uid) != uid || int(sys.Gid) != gid {
			if err := os.Lchown(p, uid, gid); err != nil {
				return fmt.Errorf("changing owner of '%s': %w", p, err)
			}
		}
		if sys.Mtim.Sec != 1 || sys.Mtim.Nsec != 0 {
			ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Sec: 1}}
			if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("changing modification time of '%s': %w", p, err)
			}
		}
		return nil
	})
}

// deletePath removes a store object (read-only directories included)
// without following symlinks. A missing path is not an error.
func deletePath(p string) error {
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(q, 0o755)
		}
		return nil
	})
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("deleting '%s': %w", p, err)
	}
	return nil
}

// readFileLimited reads a small file (a .drv) whole.
func readFileLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const max = 1 << 30
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading '%s': %w", p, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("reading '%s': file too large", p)
	}
	return data, nil
}
