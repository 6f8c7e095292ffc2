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
	size, regular := 512, false
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Size > 0 && st.Size < 1<<30 {
		size = int(st.Size) + 1 // room to read past the end without growing
		regular = st.Mode&unix.S_IFMT == unix.S_IFREG
	}
	data := make([]byte, 0, size)
	for {
		end := cap(data)
		if regular {
			if len(data) == size-1 {
				return unsafe.String(unsafe.SliceData(data), len(data)), nil
			}
			end = size - 1
		}
		n, err := unix.Read(fd, data[len(data):end])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return unsafe.String(unsafe.SliceData(data), len(data)), nil
		}
		data = data[:len(data)+n]
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
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
	for off := 0; off < len(data); {
		n, err := unix.Read(fd, data[off:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return nil, 0, time.Time{}, false
		}
		off += n
	}
	return data, st.Size, time.Unix(st.Mtim.Unix()), true
}

func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
