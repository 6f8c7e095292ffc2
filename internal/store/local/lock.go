package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// openLockFile opens (creating) a lock file with mode 0600.
func openLockFile(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file '%s': %w", p, err)
	}
	return f, nil
}

// flock takes a BSD lock (unix.LOCK_SH or LOCK_EX) on f, waiting until it is
// free or ctx ends.
func flock(ctx context.Context, f *os.File, how int) error {
	delay := time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("locking '%s': %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for lock on '%s': %w", f.Name(), ctx.Err())
		case <-time.After(delay):
		}
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

// PathLocks holds exclusive locks on <path>.lock files (spec/store.md §7.8).
type PathLocks struct {
	files []*os.File
}

// LockPaths locks the real paths (in sorted order, so two processes never
// deadlock) with Nix's protocol: a lock file whose size is non-zero was
// deleted by its previous owner, so it is opened again.
func LockPaths(ctx context.Context, realPaths []string) (*PathLocks, error) {
	sorted := append([]string(nil), realPaths...)
	sort.Strings(sorted)
	l := &PathLocks{}
	for i, p := range sorted {
		if i > 0 && sorted[i-1] == p {
			continue
		}
		f, err := lockOne(ctx, p+".lock")
		if err != nil {
			l.Unlock(false)
			return nil, err
		}
		l.files = append(l.files, f)
	}
	return l, nil
}

func lockOne(ctx context.Context, lockPath string) (*os.File, error) {
	for {
		f, err := openLockFile(lockPath)
		if err != nil {
			return nil, err
		}
		if err := flock(ctx, f, unix.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("statting lock file '%s': %w", lockPath, err)
		}
		if st.Size() != 0 {
			// Stale: its owner deleted it after we opened it.
			f.Close()
			continue
		}
		return f, nil
	}
}

// Unlock releases the locks. With deleteFiles the lock files are removed
// first and marked stale for anyone waiting on them.
func (l *PathLocks) Unlock(deleteFiles bool) {
	if l == nil {
		return
	}
	for _, f := range l.files {
		if deleteFiles {
			os.Remove(f.Name())
			f.Write([]byte("d"))
		}
		f.Close()
	}
	l.files = nil
}
