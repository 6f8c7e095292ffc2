package nar

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// bufArena is memory for the hashing buffers, outside the Go heap and
// backed by transparent huge pages where the kernel allows: the reader's
// copies into it and the hasher's reads out of it then miss the TLB far
// less than over 4 KiB pages (which dominates on virtual machines with
// nested paging).
type bufArena struct {
	mapped []byte // the whole mapping (munmap'ed by free)
	b      []byte // its 2 MiB-aligned part
	heap   []byte // fallback when mmap fails
}

const hugePage = 2 << 20

func newBufArena(n int) *bufArena {
	m, err := unix.Mmap(-1, 0, n+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return &bufArena{heap: make([]byte, n)}
	}
	off := int((hugePage - uintptr(unsafe.Pointer(&m[0]))%hugePage) % hugePage)
	b := m[off : off+n]
	unix.Madvise(b, unix.MADV_HUGEPAGE) // advisory: 4 KiB pages still work
	return &bufArena{mapped: m, b: b}
}

// slice is n bytes at off, as an empty slice with capacity n.
func (a *bufArena) slice(off, n int) []byte {
	if a.heap != nil {
		return a.heap[off : off : off+n]
	}
	return a.b[off : off : off+n]
}

func (a *bufArena) free() {
	if a != nil && a.mapped != nil {
		unix.Munmap(a.mapped)
		a.mapped, a.b = nil, nil
	}
}
