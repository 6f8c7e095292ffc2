package nar

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gonix/internal/testutil"
)

// writebackArchive holds files on both sides of writebackMin: "big"
// (1 MiB), "edge" (exactly writebackMin), "under" (a byte less) and
// "small".
func writebackArchive() []byte {
	return dirWith(
		file("big", strings.Repeat("0123456789abcdef", 64<<10)),
		file("edge", strings.Repeat("e", writebackMin)),
		file("small", "x"),
		file("under", strings.Repeat("u", writebackMin-1)),
	).b
}

// restoreBothWays restores archive from memory and as a stream (the two
// ways write differently) into new directories and returns them.
func restoreBothWays(t *testing.T, o RestoreOptions, archive []byte) (fromMemory, streamed string) {
	t.Helper()
	fromMemory, streamed = filepath.Join(t.TempDir(), "m"), filepath.Join(t.TempDir(), "s")
	if _, err := o.RestoreBytes(archive, fromMemory); err != nil {
		t.Fatal(err)
	}
	if err := o.Restore(bytes.NewReader(archive), streamed); err != nil {
		t.Fatal(err)
	}
	return fromMemory, streamed
}

// TestRestoreStartWritebackFiles checks which files StartWriteback starts
// writing: those of writebackMin bytes or more, in both kinds of restore,
// and none without the option.
func TestRestoreStartWritebackFiles(t *testing.T) {
	archive := writebackArchive()
	for _, early := range []bool{true, false} {
		var started []string
		o := RestoreOptions{StartWriteback: early, wroteBack: func(p string) { started = append(started, p) }}
		fromMemory, streamed := restoreBothWays(t, o, archive)
		var want []string
		if early {
			for _, dir := range []string{fromMemory, streamed} {
				want = append(want, filepath.Join(dir, "big"), filepath.Join(dir, "edge"))
			}
		}
		if !slices.Equal(started, want) {
			t.Errorf("StartWriteback %v: writeback started for %q, want %q", early, started, want)
		}
	}
}

// TestRestoreStartWritebackKernel checks with cachestat(2) that the hint
// works: a big file restored with StartWriteback has (nearly) no dirty
// pages left. Without the hint they stay dirty until the kernel's flusher
// comes, which a busy machine (the other test packages writing) may have
// started already, so the plain restore is only reported.
func TestRestoreStartWritebackKernel(t *testing.T) {
	var fs unix.Statfs_t
	if err := unix.Statfs(t.TempDir(), &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC || fs.Type == unix.RAMFS_MAGIC {
		testutil.Missing(t, "a temporary directory on a disk file system", fmt.Errorf("%s is in memory (file system magic %#x)", t.TempDir(), fs.Type))
	}
	archive := writebackArchive()
	for _, early := range []bool{false, true} {
		fromMemory, streamed := restoreBothWays(t, RestoreOptions{StartWriteback: early}, archive)
		for _, dir := range []string{fromMemory, streamed} {
			st := cachestat(t, filepath.Join(dir, "big"))
			t.Logf("StartWriteback %v, %s: %+v", early, filepath.Base(dir), st)
			if early && st.Dirty > st.Cache/4 {
				t.Errorf("big file restored with StartWriteback (%s): %d of %d pages still dirty, want its writeback started", dir, st.Dirty, st.Cache)
			}
		}
	}
}

func cachestat(t *testing.T, p string) unix.Cachestat_t {
	t.Helper()
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var st unix.Cachestat_t
	err = unix.Cachestat(uint(fd), &unix.CachestatRange{}, &st, 0)
	if errors.Is(err, unix.ENOSYS) {
		testutil.Missing(t, "cachestat(2) (Linux 6.5)", err)
	}
	if err != nil {
		t.Fatalf("cachestat %s: %v", p, err)
	}
	return st
}
