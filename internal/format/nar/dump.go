package nar

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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
	fi, err := os.Lstat(abs)
	if err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, err)
	}
	d := dumper{s: s, filter: filter, buf: make([]byte, 0, 512)}
	d.buf = appendStr(d.buf, magic)
	if err := d.node(abs, fi); err != nil {
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
	buf    []byte // pending tokens
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

func (d *dumper) node(path string, fi fs.FileInfo) error {
	d.tok("(")
	switch mode := fi.Mode(); {
	case mode.IsRegular():
		d.tok("type", "regular")
		if mode&0o100 != 0 {
			d.tok("executable", "")
		}
		d.tok("contents")
		if err := d.contents(path, fi.Size()); err != nil {
			return err
		}
	case mode.IsDir():
		d.tok("type", "directory")
		entries, err := os.ReadDir(path) // sorted by name, bytewise
		if err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, err)
		}
		for _, e := range entries {
			child := path + "/" + e.Name()
			if d.filter != nil && !d.filter(child, typeOf(e.Type())) {
				continue
			}
			cfi, err := os.Lstat(child)
			if err != nil {
				return fmt.Errorf("nar: dump %s: %w", child, err)
			}
			d.tok("entry", "(", "name", e.Name(), "node")
			if err := d.node(child, cfi); err != nil {
				return err
			}
			d.tok(")")
		}
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, err)
		}
		d.tok("type", "symlink", "target", target)
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

// contents writes the size and exactly size bytes of the file; a file that
// shrinks while being read is an error, growth is ignored (as in Nix).
func (d *dumper) contents(path string, size int64) error {
	d.buf = binary.LittleEndian.AppendUint64(d.buf, uint64(size))
	if err := d.flushTokens(); err != nil {
		return fmt.Errorf("nar: dump %s: %w", path, err)
	}
	if size > 0 {
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return fmt.Errorf("nar: dump %s: %w", path, err)
		}
		n, err := d.s.ReadFrom(io.LimitReader(f, size))
		f.Close()
		if err == nil && n < size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("nar: dump %s: reading file: %w", path, err)
		}
	}
	var zero [8]byte
	d.buf = append(d.buf, zero[:padLen(uint64(size))]...)
	return nil
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
