package timing

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fsTopdirFL is FS_TOPDIR_FL of linux/fs.h (chattr +T).
const fsTopdirFL = 0x00020000

// SpreadStores marks dir, where a benchmark makes and deletes one store
// per run, so that ext4 places each directory made in it as it places a
// top-level one: in a block group of its own. Without it every run's
// store lands in the same group, and on ext4 without a journal (where the
// allocator skips every inode freed in the last 5 s, or 305 s while its
// inode table block is dirty, one buffer lookup each) each run pays for
// the inodes the runs before it freed: a cost that grows over a series
// and falls on both tools in the same seconds. With spread false it
// clears the mark instead (to measure as before). Other file systems have
// no such flag (an error); the caller may go on without it.
func SpreadStores(dir string, spread bool) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		return fmt.Errorf("%s: reading the inode flags: %w", dir, err)
	}
	want := flags &^ fsTopdirFL
	if spread {
		want |= fsTopdirFL
	}
	if want == flags {
		return nil
	}
	if err := unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(want)); err != nil {
		return fmt.Errorf("%s: setting the inode flags to %#x: %w", dir, want, err)
	}
	return nil
}
