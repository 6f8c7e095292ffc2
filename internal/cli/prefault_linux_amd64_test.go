package cli

import (
	"os"
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
