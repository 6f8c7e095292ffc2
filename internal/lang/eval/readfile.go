package eval

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The files an evaluation imports are read with the system calls alone:
// os.Open would also register each descriptor with the network poller
// (an epoll_ctl that fails for a regular file) and set it back to
// blocking (two fcntl), three wasted calls for every imported file.

// readSource reads the file at path into a string that shares the
// buffer (nothing else refers to it). A regular file is read to the size
// fstat gives, as Nix 2.8's readFile does (no read to see the end);
// anything else until its end. Errors are *os.PathError, as
// os.ReadFile's.
func readSource(path string) (string, error) {
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	regular := unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size > 0 && st.Size < 1<<30
	buf := make([]byte, 512)
	if regular {
		buf = make([]byte, st.Size)
	}
	n := 0
	for {
		m, err := readAtMost(fd, buf[n:])
		n += m
		if err != nil {
			return "", &os.PathError{Op: "read", Path: path, Err: err}
		}
		if regular || n < len(buf) {
			return unsafe.String(unsafe.SliceData(buf), n), nil
		}
		buf = append(buf, make([]byte, len(buf))...)
	}
}

// readRegular reads the file at path if it is a regular file of at most
// max bytes (opened without blocking: a FIFO would wait for a writer),
// giving its size and modification time; ok is false otherwise.
func readRegular(path string, max int64) (data []byte, size int64, mtime time.Time, ok bool) {
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK)
	if err != nil {
		return nil, 0, time.Time{}, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > max {
		return nil, 0, time.Time{}, false
	}
	data = make([]byte, st.Size)
	if n, err := readAtMost(fd, data); err != nil || n < len(data) {
		return nil, 0, time.Time{}, false
	}
	return data, st.Size, time.Unix(st.Mtim.Unix()), true
}

// readAtMost reads into buf until it is full or the file ends, giving
// how many bytes it read.
func readAtMost(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
