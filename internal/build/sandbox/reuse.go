package sandbox

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"gonix/internal/build"
)

// A used sandbox root is kept for the next build in the same store (with
// Warm and build users) instead of being deleted: the next build renames
// it into place, empties its store of everything but the hard links of
// its own file inputs and the mount points of its directory inputs, and
// keeps its /tmp if the builder left it empty (a fresh one otherwise). Each link i of a dependency chain has the i-1 inputs
// of link i-1 plus one, so it makes one link where it made i, and the
// links are not unlinked behind it either (on a 200-deep chain 19,900
// links and unlinks).

// keepSpare moves the used root aside as the spare of its store (the
// spare before it is deleted in the background), or deletes it when
// something is mounted below it.
func (r *Runner) keepSpare(store, root string) error {
	if ok, err := deletableChroot(root); !ok {
		return err
	}
	spare := fmt.Sprintf("%s.spare-%d", root, time.Now().UnixNano())
	if err := os.Rename(root, spare); err != nil {
		return fmt.Errorf("moving the sandbox root '%s' out of the way: %w", root, err)
	}
	r.mu.Lock()
	if r.spare == nil {
		r.spare = map[string]string{}
	}
	old := r.spare[store]
	r.spare[store] = spare
	r.mu.Unlock()
	if old != "" {
		r.deleteLater(old)
	}
	return nil
}

// takeSpare renames the spare root of store, if there is one, to root
// and reports whether it did.
func (r *Runner) takeSpare(store, root string) bool {
	r.mu.Lock()
	spare := r.spare[store]
	delete(r.spare, store)
	r.mu.Unlock()
	if spare == "" {
		return false
	}
	if err := os.Rename(spare, root); err != nil {
		r.deleteLater(spare)
		return false
	}
	return true
}

// reuseStore empties the store of a reused sandbox root of all the next
// build must not see and returns the file inputs it kept: hard links of
// them (the same inode as the input itself: the builder could neither
// change nor replace that). Empty mount points of directory inputs stay
// too (made by root, so no build user could have put anything in them).
// The rest (the last build's other inputs, whatever its builder left) is
// deleted.
func (c *chroot) reuseStore(job *build.Job, inputs map[string]bool) (map[string]bool, error) {
	dir := c.inside(job.StoreDir)
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the reused sandbox store: %w", err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the reused sandbox store: %w", err)
	}
	kept := make(map[string]bool, len(names))
	for _, name := range names {
		p := job.StoreDir + "/" + name
		in := dir + "/" + name
		if inputs[p] {
			switch sameInput(in, realPath(job, p)) {
			case keptFile:
				kept[p] = true
				continue
			case keptDir:
				continue
			}
		}
		if err := removeTree(in); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

const (
	notKept = iota
	keptFile
	keptDir
)

// sameInput tells whether in, an entry of a reused sandbox store, can
// stand for the input at real: the same inode, or an empty directory
// made by root where the input is a directory.
func sameInput(in, real string) int {
	var a, b unix.Stat_t
	if unix.Lstat(in, &a) != nil || unix.Lstat(real, &b) != nil {
		return notKept
	}
	switch {
	case a.Mode&unix.S_IFMT == unix.S_IFREG && a.Dev == b.Dev && a.Ino == b.Ino:
		return keptFile
	case a.Mode&unix.S_IFMT == unix.S_IFDIR && b.Mode&unix.S_IFMT == unix.S_IFDIR && a.Uid == 0 && emptyDir(in):
		return keptDir
	}
	return notKept
}

func emptyDir(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return err == io.EOF
}
