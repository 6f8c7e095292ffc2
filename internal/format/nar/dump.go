package nar

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Filter decides whether an entry below the root goes into the archive.
// It gets the entry's absolute path and its type (TypeRegular,
// TypeDirectory, TypeSymlink or TypeUnknown). An excluded directory is not
// read. A nil Filter includes everything.
type Filter func(path string, typ Type) bool

// sink is what the dumper writes to: a buffered writer that can also
// read file contents straight into its buffer.
type sink interface {
	io.Writer
	io.ReaderFrom
	Flush() error
}

// dumpBufSize is the buffer Dump puts in front of its writer.
const dumpBufSize = 256 << 10

// maxDirFDs is how many levels of directories keep their descriptor open
// while their entries are dumped. Entries are opened relative to that
// descriptor (one path component for the kernel to resolve, not the whole
// path); below this depth they are opened by full path, so an absurdly deep
// tree cannot run out of descriptors.
const maxDirFDs = 64

// Dump writes the NAR serialisation of the file system object at path to
// w (spec/store.md §4.3), calling filter for every entry below the root.
func Dump(w io.Writer, path string, filter Filter) error {
	s, ok := w.(sink)
	if !ok {
		s = bufio.NewWriterSize(w, dumpBufSize)
	}
	if err := dump(s, path, filter); err != nil {
		return err
	}
	return s.Flush()
}

func dump(s sink, path string, filter Filter) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, err)
	}
	d := dumper{s: s, filter: filter, buf: make([]byte, 0, 8192)}
	d.buf = appendStr(d.buf, magic)
	// The root is looked up like any entry, relative to the current
	// directory with its absolute path.
	if err := d.node(unix.AT_FDCWD, abs, abs, 0, false, 0); err != nil {
		return err
	}
	if err := d.flushTokens(); err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, err)
	}
	return nil
}

type dumper struct {
	s      sink
	filter Filter
	buf    []byte   // pending tokens
	rd     fdReader // reused for every file, so reading one allocates nothing
	link   []byte   // readlink buffer
}

func (d *dumper) tok(ss ...string) {
	for _, s := range ss {
		d.buf = appendStr(d.buf, s)
	}
}

func (d *dumper) flushTokens() error {
	_, err := d.s.Write(d.buf)
	d.buf = d.buf[:0]
	return err
}

// errUnknownType marks an entry that changed type between the directory
// listing and opening it; its type must be read again with lstat.
var errUnknownType = errors.New("type unknown")

// node dumps the entry name of the directory dirfd; path is its full path
// (for the filter and for errors). typ is the type the directory listing
// reported when known is true; otherwise, and when the entry turns out to
// have changed type since the listing, lstat decides, as in Nix.
func (d *dumper) node(dirfd int, name, path string, typ fs.FileMode, known bool, depth int) error {
	if known {
		if err := d.typed(dirfd, name, path, typ, depth); !errors.Is(err, errUnknownType) {
			return err
		}
	}
	var st unix.Stat_t
	if err := fstatat(dirfd, name, &st); err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, &fs.PathError{Op: "lstat", Path: path, Err: err})
	}
	err := d.typed(dirfd, name, path, modeType(st.Mode), depth)
	if errors.Is(err, errUnknownType) {
		return fmt.Errorf("nar: dump %s: file changed while being dumped", path)
	}
	return err
}

// typed dumps an entry of type typ. For regular files it opens the file and
// checks with fstat that it still is one; it returns errUnknownType when the
// entry turns out to be something else.
func (d *dumper) typed(dirfd int, name, path string, typ fs.FileMode, depth int) error {
	switch {
	case typ.IsRegular():
		// O_NONBLOCK: should the entry have become a FIFO, opening it
		// must not hang; reads of regular files ignore it.
		fd, err := openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK)
		if err == unix.ELOOP {
			return errUnknownType // became a symlink
		}
		if err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, &fs.PathError{Op: "open", Path: path, Err: err})
		}
		var st unix.Stat_t
		if err := fstat(fd, &st); err != nil {
			unix.Close(fd)
			return fmt.Errorf("nar: dump %s: %w", path, &fs.PathError{Op: "fstat", Path: path, Err: err})
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			return errUnknownType
		}
		d.tok("(", "type", "regular")
		if st.Mode&0o100 != 0 {
			d.tok("executable", "")
		}
		d.tok("contents")
		err = d.contents(fd, path, st.Size)
		unix.Close(fd)
		if err != nil {
			return err
		}
	case typ.IsDir():
		fd, err := openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
		if err == unix.ELOOP || err == unix.ENOTDIR {
			return errUnknownType
		}
		if err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, &fs.PathError{Op: "open", Path: path, Err: err})
		}
		d.tok("(", "type", "directory")
		if err := d.dir(fd, path, depth); err != nil {
			return err
		}
	case typ&fs.ModeSymlink != 0:
		target, err := d.readlink(dirfd, name)
		if err == unix.EINVAL {
			return errUnknownType // no longer a symlink
		}
		if err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, &fs.PathError{Op: "readlink", Path: path, Err: err})
		}
		d.tok("(", "type", "symlink", "target", target)
	default:
		return fmt.Errorf("file '%s' has an unsupported type", path)
	}
	d.tok(")")
	if len(d.buf) >= 4096 {
		if err := d.flushTokens(); err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, err)
		}
	}
	return nil
}

// dir dumps the entries of the directory open as fd (which it closes), in
// increasing byte order of their names.
func (d *dumper) dir(fd int, path string, depth int) error {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	deep := depth+1 >= maxDirFDs
	if deep {
		f.Close()
	}
	for _, e := range entries {
		name := e.Name()
		child := path + "/" + name
		typ := e.Type()
		if d.filter != nil && !d.filter(child, typeOf(typ)) {
			continue
		}
		d.tok("entry", "(", "name", name, "node")
		// ReadDir reports the type of every entry (it lstats itself
		// where the file system does not say).
		var err error
		if deep {
			err = d.node(unix.AT_FDCWD, child, child, typ, true, depth+1)
		} else {
			err = d.node(fd, name, child, typ, true, depth+1)
		}
		if err != nil {
			return err
		}
		d.tok(")")
	}
	return nil
}

// readlink reads the target of the symlink name in dirfd.
func (d *dumper) readlink(dirfd int, name string) (string, error) {
	if d.link == nil {
		d.link = make([]byte, MaxTargetLen+1)
	}
	for {
		n, err := unix.Readlinkat(dirfd, name, d.link)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n < len(d.link) {
			return string(d.link[:n]), nil
		}
		d.link = make([]byte, 2*len(d.link))
	}
}

// contents writes the size and exactly size bytes of the file; a file that
// shrinks while being read is an error, growth is ignored (as in Nix).
func (d *dumper) contents(fd int, path string, size int64) error {
	d.buf = binary.LittleEndian.AppendUint64(d.buf, uint64(size))
	if err := d.flushTokens(); err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, err)
	}
	if size > 0 {
		d.rd = fdReader{fd: fd, left: size}
		n, err := d.s.ReadFrom(&d.rd)
		if err == nil && n < size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			var errno unix.Errno
			if errors.As(err, &errno) {
				err = &fs.PathError{Op: "read", Path: path, Err: errno}
			}
			return fmt.Errorf("nar: dump %s: reading file: %w", path, err)
		}
	}
	var zero [8]byte
	d.buf = append(d.buf, zero[:padLen(uint64(size))]...)
	return nil
}

// fdReader reads at most left bytes from a descriptor with plain read(2)
// calls, and reports io.EOF once it has them without asking the kernel
// again: one system call per buffer, none to find the end.
type fdReader struct {
	fd   int
	left int64
}

func (r *fdReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	for {
		n, err := unix.Read(r.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF // the file shrank; contents reports it
		}
		r.left -= int64(n)
		return n, nil
	}
}

func openat(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func fstat(fd int, st *unix.Stat_t) error {
	for {
		err := unix.Fstat(fd, st)
		if err != unix.EINTR {
			return err
		}
	}
}

func fstatat(dirfd int, name string, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(dirfd, name, st, unix.AT_SYMLINK_NOFOLLOW)
		if err != unix.EINTR {
			return err
		}
	}
}

// modeType converts st_mode's file type to an fs.FileMode type; regular
// files are 0 (fs.FileMode's convention).
func modeType(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	}
	return fs.ModeDevice
}

func typeOf(m fs.FileMode) Type {
	switch {
	case m.IsRegular():
		return TypeRegular
	case m.IsDir():
		return TypeDirectory
	case m&fs.ModeSymlink != 0:
		return TypeSymlink
	}
	return TypeUnknown
}
