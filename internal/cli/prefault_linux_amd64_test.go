package cli

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// touchPages must leave what is in memory as it was.
func TestTouchPagesKeepsContents(t *testing.T) {
	buf := make([]uint32, 5*pageSize/4)
	for i := range buf {
		buf[i] = uint32(i*2654435761) | 1
	}
	addr := uintptr(unsafe.Pointer(&buf[0]))
	first := (addr + pageSize - 1) &^ (pageSize - 1)
	touchPages(first, 3*pageSize)
	for i := range buf {
		if buf[i] != uint32(i*2654435761)|1 {
			t.Fatalf("word %d changed to %#x", i, buf[i])
		}
	}
}

// mappingAt tells the heap (anonymous read-write) from the runtime's
// reserved address space (anonymous, no access) and from a file.
func TestMappingAt(t *testing.T) {
	b, err := unix.Mmap(-1, 0, 2*pageSize, unix.PROT_NONE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	if err := unix.Mprotect(b[:pageSize], unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := unix.Mmap(int(f.Fd()), 0, pageSize, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(file)
	buf := make([]byte, 64<<10)
	addr := uintptr(unsafe.Pointer(&b[0]))
	for _, c := range []struct {
		addr uintptr
		want int
	}{
		{addr, mapHeap},
		{addr + pageSize, mapReserved},
		{uintptr(unsafe.Pointer(&file[0])), mapOther},
		{0, mapReserved},
	} {
		if got := mappingAt(buf, c.addr); got != c.want {
			t.Errorf("mappingAt(%#x) = %d, want %d", c.addr, got, c.want)
		}
	}
	touchPages(addr, pageSize)
	in := make([]byte, 1)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, addr, pageSize, uintptr(unsafe.Pointer(&in[0]))); errno != 0 || in[0]&1 == 0 {
		t.Errorf("the touched page is not resident (mincore %v, %v)", in, errno)
	}
}

// hugeRange keeps only the whole 2 MiB pages of a range: advising a
// partial one would make the evaluating thread's next fault there clear
// 2 MiB.
func TestHugeRange(t *testing.T) {
	const m = 1 << 20
	for _, c := range []struct{ next, end, lo, hi uintptr }{
		{0, 4 * m, 0, 4 * m},         // a whole chunk
		{1, 4 * m, 2 * m, 4 * m},     // its first page started
		{2*m + 4096, 4 * m, 0, 0},    // less than a huge page left
		{3 * m, 8 * m, 4 * m, 8 * m}, // rounded up
		{4 * m, 7 * m, 4 * m, 6 * m}, // and down
		{6 * m, 6 * m, 0, 0},         // empty
	} {
		if lo, hi := hugeRange(c.next, c.end); lo != c.lo || hi != c.hi {
			t.Errorf("hugeRange(%#x, %#x) = %#x, %#x; want %#x, %#x", c.next, c.end, lo, hi, c.lo, c.hi)
		}
	}
}

// adviseHuge marks the range for huge pages (the flag shows in smaps as
// "hg"), and the memory keeps its contents.
func TestAdviseHuge(t *testing.T) {
	b, err := unix.Mmap(-1, 0, 3*hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	b[0] = 7
	start := uintptr(unsafe.Pointer(&b[0]))
	adviseHuge(start, start+uintptr(len(b)))
	if b[0] != 7 {
		t.Fatal("contents changed")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages in this kernel")
	}
	if flags := vmFlags(t, start+hugePage); !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the mapping's flags are %q, want hg among them", flags)
	}
}

// vmFlags gives the VmFlags line of the mapping that holds addr
// (/proc/self/smaps).
func vmFlags(t *testing.T, addr uintptr) string {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		if lo, hi, ok := strings.Cut(strings.Fields(line + " x")[0], "-"); ok {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= a && uint64(addr) < b
			continue
		}
		if f, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(f)
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
