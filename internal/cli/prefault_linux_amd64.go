package cli

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// startPrefault touches the heap memory the Go runtime maps before the
// program does, from a thread of its own. Evaluations start it
// (newEvaluator), once per process.
//
// The runtime maps its heap in whole chunks of 4 MiB, and the first
// write to each 4 KiB page of a chunk costs a page fault: for an
// evaluation that allocates 100 MB without a collection (issue 7's
// configuration) that is a quarter of the run. This thread takes those
// faults instead, on the second core, a chunk at a time as the runtime
// maps them, so that the evaluating thread finds the pages there
// (docs/design/evaluator-performance.md, "Page faults on a second core").
//
//   - It starts at the lowest free address of the heap (where a fresh
//     large object lands) and only walks up, so memory the runtime
//     returns to the system is never touched again.
//   - Before each chunk it looks the address up in /proc/self/maps: an
//     anonymous private read-write mapping is touched; the runtime's
//     reserved address space (anonymous, PROT_NONE), or an address not
//     mapped yet, is waited on until the runtime maps it; anything else
//     ends the walk.
//   - Pages are touched from user space (touchPages: an atomic add of
//     zero to their first word, which leaves whatever the program may
//     have written there); each whole 2 MiB page is first advised for
//     transparent huge pages (adviseHuge).
//   - It stops when the cores are busy: three chunks in a row during
//     which the thread waited for a core more than a third of the time
//     mean its faults now cost the other threads their share. (At idle
//     priority it could not compete, but descheduled in the middle of a
//     fault it held the runtime's next mmap up: runs took up to 7 times
//     as long.) The wait is the kernel's count of the time the thread was
//     runnable and not running (run_delay in /proc/thread-self/schedstat):
//     waiting for the Go scheduler to give it back a P, while the parser
//     goroutine has the other one, is not the cores being busy. Counting
//     that too, as wall time less CPU time did, and stopping at the first
//     such chunk, stopped the thread in one run out of ten, and the
//     evaluating thread then took 15,000 more faults.
//   - It stops when the heap has not grown for 100 ms.
func startPrefault() {
	probe := make([]byte, 64<<10)
	next := uintptr(unsafe.Pointer(&probe[0])) &^ (pageSize - 1)
	go func() {
		// one thread throughout, for its scheduler statistics
		runtime.LockOSThread()
		delay := openRunDelay()
		defer delay.close()
		buf := make([]byte, 64<<10)
		wait, idle, busy := 50*time.Microsecond, time.Duration(0), 0
		for {
			switch mappingAt(buf, next) {
			case mapReserved:
				if idle > 100*time.Millisecond {
					return // the heap stopped growing
				}
				time.Sleep(wait)
				idle += wait
				wait = min(2*wait, 5*time.Millisecond)
				continue
			case mapOther:
				return
			}
			wait, idle = 50*time.Microsecond, 0
			end := (next + chunkSize) &^ (chunkSize - 1)
			wall, waited := time.Now(), delay.read()
			for ; next < end; next += touchStep {
				// a whole 2 MiB page is advised just before it is touched:
				// should this thread be stopped or descheduled, the
				// evaluating thread meets at most one advised page
				if next&(hugePage-1) == 0 {
					adviseHuge(next, min(next+hugePage, end))
				}
				touchPages(next, min(touchStep, end-next))
			}
			next = end
			// had the thread to wait for a core for more than a third
			// of the chunk, three chunks in a row, the cores are busy:
			// the pages it touches then cost the evaluating thread its
			// share of them
			if w := time.Since(wall); w > time.Millisecond && 3*(delay.read()-waited) > w {
				if busy++; busy == 3 {
					return
				}
			} else {
				busy = 0
			}
		}
	}()
}

const (
	mapHeap     = iota // anonymous, private, read-write
	mapReserved        // anonymous, private, no access; or not mapped
	mapOther           // anything else
)

// mappingAt classifies the mapping holding addr, reading /proc/self/maps
// into buf.
func mappingAt(buf []byte, addr uintptr) int {
	// (plain system calls: os.Open would spend three more on the poller)
	fd, err := unix.Open("/proc/self/maps", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return mapOther
	}
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			break
		}
		n += m
	}
	unix.Close(fd)
	// (an address past the end of the runtime's last reservation is not
	// mapped until it reserves the next arena)
	for _, line := range bytes.Split(buf[:n], []byte{'\n'}) {
		// START-END PERMS OFFSET DEV INODE [PATH]
		fields := bytes.Fields(line)
		if len(fields) < 5 {
			continue
		}
		lo, hi, ok := bytes.Cut(fields[0], []byte{'-'})
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || uint64(addr) < start || uint64(addr) >= end {
			continue
		}
		if len(fields) > 5 || string(fields[4]) != "0" {
			return mapOther // a file, or [stack], [heap], …
		}
		switch string(fields[1]) {
		case "rw-p":
			return mapHeap
		case "---p":
			return mapReserved
		}
		return mapOther
	}
	return mapReserved
}

// adviseHuge asks for transparent huge pages (MADV_HUGEPAGE) on the
// whole 2 MiB pages of [next, end), memory this thread is about to touch
// first: such a page then costs one fault, taken here, instead of 512,
// and one page to free at exit. Only memory this thread touches right
// away is advised: the evaluating thread would otherwise take the faults
// that clear 2 MiB at once (the whole heap advised doubled the run).
// Errors (no THP in the kernel) are ignored.
func adviseHuge(next, end uintptr) {
	if lo, hi := hugeRange(next, end); lo < hi {
		unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, unix.MADV_HUGEPAGE)
	}
}

// hugeRange is the part of [next, end) made of whole 2 MiB pages.
func hugeRange(next, end uintptr) (lo, hi uintptr) {
	lo = (next + hugePage - 1) &^ (hugePage - 1)
	hi = end &^ (hugePage - 1)
	if lo >= hi {
		return 0, 0
	}
	return lo, hi
}

// runDelay reads how long the calling thread has waited for a CPU
// while runnable, from /proc/thread-self/schedstat ("cpu-time run-delay
// timeslices", nanoseconds). Without that file (a kernel without
// scheduler statistics) it falls back to wall time less the thread's CPU
// time, which also counts waiting for the Go scheduler.
type runDelay struct {
	f     *os.File
	start time.Time
	buf   [64]byte
}

func openRunDelay() *runDelay {
	f, _ := os.Open("/proc/thread-self/schedstat")
	return &runDelay{f: f, start: time.Now()}
}

func (d *runDelay) read() time.Duration {
	if d.f != nil {
		if n, err := d.f.ReadAt(d.buf[:], 0); n > 0 && (err == nil || err == io.EOF) {
			f := bytes.Fields(d.buf[:n])
			if len(f) >= 2 {
				if v, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
					return time.Duration(v)
				}
			}
		}
	}
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Since(d.start) - time.Duration(ts.Nano())
}

func (d *runDelay) close() {
	if d.f != nil {
		d.f.Close()
	}
}

const (
	pageSize  = 4 << 10
	chunkSize = 4 << 20  // the runtime's heap mapping unit (pallocChunkBytes)
	touchStep = 64 << 10 // pages touched per call (calls into assembly are not preemptible)
	hugePage  = 2 << 20  // a transparent huge page on amd64
)

// touchPages adds zero atomically to the first 32-bit word of each 4 KiB
// page in [addr, addr+n) (touch_amd64.s). The addresses are uintptrs, not
// pointers: the memory may not hold any object yet.
//
//go:noescape
func touchPages(addr, n uintptr)
