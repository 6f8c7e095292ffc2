package local

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// AddTempRoot records path as a temporary GC root of this process
// (spec/store.md §7.10): the collector keeps it while the process lives.
func (s *Store) AddTempRoot(ctx context.Context, path string) error {
	return s.addTempRoots(ctx, []string{path})
}

// addTempRoots records paths as temporary roots with one write. A path
// recorded before is not written again: it stays a root for the process's
// lifetime (a substitution records each path twice otherwise: when it
// starts and when it is moved into place).
func (s *Store) addTempRoots(ctx context.Context, paths []string) error {
	if s.readOnly {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rec []byte
	for _, p := range paths {
		if !s.tempRootSet[p] {
			rec = append(append(rec, p...), 0)
		}
	}
	if len(rec) == 0 {
		return nil
	}
	if s.tempRoots == nil {
		p := s.realState + "/temproots/" + strconv.Itoa(os.Getpid())
		for {
			os.Remove(p) // a stale file of a dead process with our pid
			f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
			if err != nil {
				return fmt.Errorf("creating temporary roots file: %w", err)
			}
			if err := flock(ctx, f, unix.LOCK_EX); err != nil {
				f.Close()
				return err
			}
			// A collector may have taken it for stale between the open
			// and the lock: it then unlinked it and wrote "d". Start
			// again (it cannot do that once we hold the lock).
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return fmt.Errorf("statting temporary roots file: %w", err)
			}
			if st.Size() == 0 {
				s.tempRoots = f
				break
			}
			f.Close()
		}
	}
	if s.gcLock == nil {
		f, err := openLockFile(s.realState + "/gc.lock")
		if err != nil {
			return err
		}
		s.gcLock = f
	}
	// A running collector holds gc.lock exclusively; waiting for it means
	// the root is written before any later collection reads the roots.
	if err := flock(ctx, s.gcLock, unix.LOCK_SH); err != nil {
		return err
	}
	defer unix.Flock(int(s.gcLock.Fd()), unix.LOCK_UN)
	if _, err := s.tempRoots.Write(rec); err != nil {
		return fmt.Errorf("writing temporary root: %w", err)
	}
	if s.tempRootSet == nil {
		s.tempRootSet = make(map[string]bool)
	}
	for _, p := range paths {
		s.tempRootSet[p] = true
	}
	return nil
}
