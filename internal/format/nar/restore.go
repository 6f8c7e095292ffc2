package nar

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// maxOpenDirs bounds the directory descriptors Restore keeps open; deeper
// ancestors are closed and re-opened (without following symlinks) when
// their entries continue.
const maxOpenDirs = 64

// writeChunk is how much of a file one write(2) writes: 64 KiB, as Nix
// 2.8 writes. Larger writes cost the kernel more per byte: writing 500
// files of 1 MiB on ext4 took 0.3 s of system time in 32-128 KiB writes,
// 0.35-0.4 s in 256 KiB writes and 0.7-0.77 s in 1 MiB writes. The size
// of a write is also the size of the page-cache folios ext4 allocates for
// it, and a larger folio needs a larger block of free memory: 128 KiB
// writes right after a run that wrote in 64 KiB (Nix's) or 16 KiB found
// none that the VM's host still backed and took 1.3-2.3 s of system time
// for a GiB instead of 0.6-0.9 s (bench/subst/README.md, 22:20).
const writeChunk = 64 << 10

// copyBufs holds Restore's copy buffers: a substitution restores
// thousands of NARs, and a fresh buffer each (zeroed, then collected)
// cost about 5% of its CPU time.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, writeChunk); return &b }}

// Restore unpacks the archive read from r into target, which must not
// exist (spec/store.md §4.4). Like Nix it creates directories with mode
// 0777 and files with 0666 (both minus the umask) and adds +x for user,
// group and other to executable files. It never writes outside target:
// every entry is created relative to a descriptor of its parent directory
// with O_EXCL/O_NOFOLLOW semantics, so a symlink in the archive is never
// followed. It reads exactly the archive from r (see Reader).
func Restore(r io.Reader, target string) error {
	return RestoreOptions{}.Restore(r, target)
}

// RestoreBytes is Restore for an archive held in memory (a NAR decoded
// whole): each file's contents are written from data, without a copy
// through a buffer. It returns the archive's length; data may go on
// after it.
func RestoreBytes(data []byte, target string) (int, error) {
	return RestoreOptions{}.RestoreBytes(data, target)
}

// RestoreOptions changes how Restore writes.
type RestoreOptions struct {
	// StartWriteback asks the kernel to start writing each regular file
	// of at least writebackMin bytes to disk as soon as its contents are
	// written (sync_file_range with SYNC_FILE_RANGE_WRITE: no waiting, no
	// cache flush), for a restore that is synced before it is used (a
	// store object): the disk then writes while the rest is restored,
	// instead of all at the sync. Smaller files are left to the sync,
	// which writes them together.
	StartWriteback bool

	// wroteBack, when set, is told the path of each file whose writeback
	// was started, after the call: the tests see which files get the
	// hint, whatever the kernel's flusher does meanwhile.
	wroteBack func(path string)
}

// writebackMin is the smallest file RestoreOptions.StartWriteback starts
// writing early.
const writebackMin = 64 << 10

// Restore is the package's Restore with these options.
func (o RestoreOptions) Restore(r io.Reader, target string) error {
	return restore(NewReader(r), target, o)
}

// RestoreBytes is the package's RestoreBytes with these options.
func (o RestoreOptions) RestoreBytes(data []byte, target string) (int, error) {
	m := &memSource{b: data}
	err := restore(NewReader(m), target, o)
	return m.off, err
}

// memSource is the Reader's input in RestoreBytes; writeContents takes
// file contents from it directly.
type memSource struct {
	b   []byte
	off int
}

func (m *memSource) Read(p []byte) (int, error) {
	if m.off >= len(m.b) {
		return 0, io.EOF
	}
	n := copy(p, m.b[m.off:])
	m.off += n
	return n, nil
}

func restore(nr *Reader, target string, o RestoreOptions) (err error) {
	rs := restorer{target: target, opts: o}
	defer func() {
		if cerr := rs.closeAll(); err == nil {
			err = cerr
		}
	}()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		h, err := nr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := rs.create(h, nr, buf); err != nil {
			return err
		}
	}
}

type dirFD struct {
	path string // Header.Path of the directory
	fd   int    // -1 when closed to save descriptors
}

type restorer struct {
	target string
	opts   RestoreOptions
	dirs   []dirFD
}

func (rs *restorer) closeAll() error {
	var first error
	for _, d := range rs.dirs {
		if d.fd >= 0 {
			if err := unix.Close(d.fd); err != nil && first == nil {
				first = err
			}
		}
	}
	rs.dirs = nil
	return first
}

func (rs *restorer) full(p string) string {
	if p == "" {
		return rs.target
	}
	return rs.target + "/" + p
}

// parentFD returns a descriptor of the directory holding p, popping the
// directories that are finished.
func (rs *restorer) parentFD(p string) (int, string, error) {
	dir, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	for len(rs.dirs) > 0 && rs.dirs[len(rs.dirs)-1].path != dir {
		d := rs.dirs[len(rs.dirs)-1]
		rs.dirs = rs.dirs[:len(rs.dirs)-1]
		if d.fd >= 0 {
			unix.Close(d.fd)
		}
	}
	if len(rs.dirs) == 0 {
		return -1, "", fmt.Errorf("nar: restore %s: parent directory not open", rs.full(p))
	}
	fd, err := rs.reopen(len(rs.dirs) - 1)
	return fd, name, err
}

// reopen returns the descriptor of rs.dirs[i], re-opening it from its
// nearest open ancestor if it was closed.
func (rs *restorer) reopen(i int) (int, error) {
	if rs.dirs[i].fd >= 0 {
		return rs.dirs[i].fd, nil
	}
	if i == 0 {
		return -1, fmt.Errorf("nar: restore %s: root directory closed", rs.target)
	}
	parentWasClosed := rs.dirs[i-1].fd < 0
	pfd, err := rs.reopen(i - 1)
	if err != nil {
		return -1, err
	}
	p := rs.dirs[i].path
	fd, err := unix.Openat(pfd, p[strings.LastIndexByte(p, '/')+1:], unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if parentWasClosed && i-1 > 0 {
		// Only the innermost directory is needed; keep the count bounded.
		unix.Close(pfd)
		rs.dirs[i-1].fd = -1
	}
	if err != nil {
		return -1, fmt.Errorf("nar: restore %s: opening directory: %w", rs.full(p), err)
	}
	rs.dirs[i].fd = fd
	return fd, nil
}

func (rs *restorer) pushDir(path string, fd int) {
	rs.dirs = append(rs.dirs, dirFD{path: path, fd: fd})
	// Keep at most maxOpenDirs descriptors: close the one that fell out of
	// the window (the root stays open for re-opening).
	if n := len(rs.dirs); n > maxOpenDirs {
		if d := &rs.dirs[n-maxOpenDirs]; d.fd >= 0 && n-maxOpenDirs > 0 {
			unix.Close(d.fd)
			d.fd = -1
		}
	}
}

func (rs *restorer) create(h *Header, nr *Reader, buf []byte) error {
	full := rs.full(h.Path)
	var dirfd int
	var name string
	if h.Path == "" {
		dirfd, name = unix.AT_FDCWD, rs.target
	} else {
		var err error
		if dirfd, name, err = rs.parentFD(h.Path); err != nil {
			return err
		}
	}
	switch h.Type {
	case TypeDirectory:
		if err := unix.Mkdirat(dirfd, name, 0o777); err != nil {
			return fmt.Errorf("creating directory '%s': %w", full, err)
		}
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening directory '%s': %w", full, err)
		}
		rs.pushDir(h.Path, fd)
	case TypeSymlink:
		if err := unix.Symlinkat(h.LinkTarget, dirfd, name); err != nil {
			return fmt.Errorf("creating symlink '%s': %w", full, err)
		}
	case TypeRegular:
		fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return fmt.Errorf("creating file '%s': %w", full, err)
		}
		f := os.NewFile(uintptr(fd), full)
		err = writeContents(f, h, nr, buf)
		if err == nil && rs.opts.StartWriteback && h.Size >= writebackMin {
			// Only a hint: the sync before use still decides, so a
			// failure here is not an error.
			unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE)
			if rs.opts.wroteBack != nil {
				rs.opts.wroteBack(full)
			}
		}
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing file '%s': %w", full, cerr)
		}
		return err
	default:
		return fmt.Errorf("nar: restore %s: unsupported type %q", full, h.Type)
	}
	return nil
}

func writeContents(f *os.File, h *Header, nr *Reader, buf []byte) error {
	if h.Executable {
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			return fmt.Errorf("fstat '%s': %w", f.Name(), err)
		}
		if err := unix.Fchmod(int(f.Fd()), (st.Mode&0o7777)|0o111); err != nil {
			return fmt.Errorf("fchmod '%s': %w", f.Name(), err)
		}
	}
	if m, ok := nr.r.(*memSource); ok && nr.inFile && nr.err == nil && nr.remaining <= uint64(len(m.b)-m.off) {
		// In memory: the contents go to the file as they are (the
		// Reader's state moves on as if they had been read).
		data := m.b[m.off : m.off+int(nr.remaining)]
		m.off += len(data)
		nr.remaining = 0
		for len(data) > 0 {
			k := min(len(data), writeChunk)
			if _, err := f.Write(data[:k]); err != nil {
				return fmt.Errorf("writing file '%s': %w", f.Name(), err)
			}
			data = data[k:]
		}
		return nil
	}
	n, err := io.CopyBuffer(onlyWriter{f}, nr, buf)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return err
		}
		return fmt.Errorf("writing file '%s': %w", f.Name(), err)
	}
	if n != h.Size {
		return fmt.Errorf("writing file '%s': wrote %d of %d bytes", f.Name(), n, h.Size)
	}
	return nil
}

// onlyWriter hides os.File's ReadFrom so io.CopyBuffer uses our buffer.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }
