package nar

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gonix/internal/testutil"
)

// TestRestoreStartWriteback checks with cachestat(2) that StartWriteback
// has the kernel writing a large file once it is restored (its pages are
// no longer dirty), and leaves a small one, and everything restored
// without the option, dirty for the sync.
func TestRestoreStartWriteback(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	archive := dirWith(file("big", big), file("small", "x")).b
	// restore restores the archive from memory and as a stream (the two
	// ways write differently) and returns the page states of each copy's
	// files.
	restore := func(o RestoreOptions) (big, small []unix.Cachestat_t) {
		t.Helper()
		fromMemory, streamed := filepath.Join(t.TempDir(), "m"), filepath.Join(t.TempDir(), "s")
		if _, err := o.RestoreBytes(archive, fromMemory); err != nil {
			t.Fatal(err)
		}
		if err := o.Restore(bytes.NewReader(archive), streamed); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{fromMemory, streamed} {
			big = append(big, cachestat(t, filepath.Join(dir, "big")))
			small = append(small, cachestat(t, filepath.Join(dir, "small")))
		}
		return big, small
	}
	bigPlain, smallPlain := restore(RestoreOptions{})
	for i := range bigPlain {
		if bigPlain[i].Dirty == 0 || smallPlain[i].Dirty == 0 {
			testutil.Missing(t, "a temporary directory on a file system with writeback", fmt.Errorf("%s keeps no dirty pages (%+v, %+v)", os.TempDir(), bigPlain[i], smallPlain[i]))
		}
	}
	bigEarly, smallEarly := restore(RestoreOptions{StartWriteback: true})
	for i, how := range []string{"from memory", "streamed"} {
		if bigEarly[i].Dirty > bigEarly[i].Cache/4 {
			t.Errorf("big file restored %s with StartWriteback: %d of %d pages still dirty, want its writeback started", how, bigEarly[i].Dirty, bigEarly[i].Cache)
		}
		if smallEarly[i].Dirty == 0 {
			t.Errorf("small file restored %s with StartWriteback: written at once (%+v), want it left to the sync", how, smallEarly[i])
		}
	}
}

func cachestat(t *testing.T, p string) unix.Cachestat_t {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Cachestat_t
	err = unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{}, &st, 0)
	if errors.Is(err, unix.ENOSYS) {
		testutil.Missing(t, "cachestat(2) (Linux 6.5)", err)
	}
	if err != nil {
		t.Fatalf("cachestat %s: %v", p, err)
	}
	return st
}
