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
	restoreBoth := func(o RestoreOptions) (bigPages, smallPages unix.Cachestat_t) {
		t.Helper()
		target := filepath.Join(t.TempDir(), "t")
		if _, err := o.RestoreBytes(archive, target); err != nil {
			t.Fatal(err)
		}
		// Restore reads the archive as it goes; check that path too.
		if err := o.Restore(bytes.NewReader(archive), target+"2"); err != nil {
			t.Fatal(err)
		}
		return cachestat(t, filepath.Join(target, "big")), cachestat(t, filepath.Join(target, "small"))
	}
	bigPlain, smallPlain := restoreBoth(RestoreOptions{})
	if bigPlain.Dirty == 0 || smallPlain.Dirty == 0 {
		testutil.Missing(t, "a temporary directory on a file system with writeback", fmt.Errorf("%s keeps no dirty pages (%+v, %+v)", os.TempDir(), bigPlain, smallPlain))
	}
	bigEarly, smallEarly := restoreBoth(RestoreOptions{StartWriteback: true})
	if bigEarly.Dirty > bigEarly.Cache/4 {
		t.Errorf("big file with StartWriteback: %d of %d pages still dirty, want its writeback started", bigEarly.Dirty, bigEarly.Cache)
	}
	if smallEarly.Dirty == 0 {
		t.Errorf("small file with StartWriteback: written at once (%+v), want it left to the sync", smallEarly)
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
