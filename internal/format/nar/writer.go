package nar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Writer writes an archive node by node, like archive/tar: WriteHeader for
// every node in archive order (the root first, a directory before its
// entries, entries of a directory in increasing byte order, depth first),
// Write for the contents of regular files, then Close. It checks the order
// and the names, so whatever it writes is a canonical NAR.
type Writer struct {
	w         io.Writer
	stack     []wframe
	remaining int64 // contents still owed for the current regular file
	pad       int
	inFile    bool
	started   bool
	err       error
	buf       []byte
}

type wframe struct {
	path, last string
}

// NewWriter returns a Writer writing to w. It writes small tokens
// directly; give it a buffered writer.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, 256)}
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *Writer) flushTokens() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *Writer) tok(ss ...string) {
	for _, s := range ss {
		w.buf = appendStr(w.buf, s)
	}
}

// finishFile closes the current regular file node, if any.
func (w *Writer) finishFile() error {
	if !w.inFile {
		return nil
	}
	if w.remaining != 0 {
		return w.fail(fmt.Errorf("nar: write: %d bytes of contents missing", w.remaining))
	}
	var zero [8]byte
	w.buf = append(w.buf, zero[:w.pad]...)
	w.tok(")")
	w.closeChild()
	w.inFile = false
	return nil
}

// closeChild ends the "entry" of a node that was a directory entry.
func (w *Writer) closeChild() {
	if len(w.stack) > 0 {
		w.tok(")")
	}
}

// WriteHeader starts the node h. The previous regular file must have
// received all its contents.
func (w *Writer) WriteHeader(h *Header) error {
	if w.err != nil {
		return w.err
	}
	if err := w.finishFile(); err != nil {
		return err
	}
	if !w.started {
		if h.Path != "" {
			return w.fail(fmt.Errorf("nar: write %q: the first node must be the root (\"\")", h.Path))
		}
		w.started = true
		w.tok(magic)
	} else {
		if len(w.stack) == 0 {
			return w.fail(fmt.Errorf("nar: write %q: the archive is complete", h.Path))
		}
		if len(h.Path) > MaxPathLen {
			return w.fail(fmt.Errorf("nar: write %q: path too long", h.Path))
		}
		dir, name := "", h.Path
		if i := strings.LastIndexByte(h.Path, '/'); i >= 0 {
			dir, name = h.Path[:i], h.Path[i+1:]
		}
		if !validName(name) {
			return w.fail(fmt.Errorf("nar: write %q: invalid file name '%s'", h.Path, name))
		}
		for w.stack[len(w.stack)-1].path != dir {
			w.stack = w.stack[:len(w.stack)-1]
			w.tok(")")
			if len(w.stack) == 0 {
				return w.fail(fmt.Errorf("nar: write %q: not inside the current directory", h.Path))
			}
			w.closeChild()
		}
		top := &w.stack[len(w.stack)-1]
		if top.last != "" && name <= top.last {
			return w.fail(fmt.Errorf("nar: write %q: entries must be unique and in byte order (after '%s')", h.Path, top.last))
		}
		top.last = name
		w.tok("entry", "(", "name", name, "node")
	}
	switch h.Type {
	case TypeRegular:
		if h.Size < 0 {
			return w.fail(fmt.Errorf("nar: write %q: negative size", h.Path))
		}
		w.tok("(", "type", "regular")
		if h.Executable {
			w.tok("executable", "")
		}
		w.tok("contents")
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(h.Size))
		w.inFile, w.remaining, w.pad = true, h.Size, padLen(uint64(h.Size))
	case TypeSymlink:
		if h.LinkTarget == "" || len(h.LinkTarget) > MaxTargetLen || strings.IndexByte(h.LinkTarget, 0) >= 0 {
			return w.fail(fmt.Errorf("nar: write %q: invalid symlink target %q", h.Path, h.LinkTarget))
		}
		w.tok("(", "type", "symlink", "target", h.LinkTarget, ")")
		w.closeChild()
	case TypeDirectory:
		w.tok("(", "type", "directory")
		w.stack = append(w.stack, wframe{path: h.Path})
	default:
		return w.fail(fmt.Errorf("nar: write %q: unsupported type %q", h.Path, h.Type))
	}
	return w.flushTokens()
}

// Write writes contents of the current regular file.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if !w.inFile {
		return 0, w.fail(errors.New("nar: write: no regular file to write to"))
	}
	if int64(len(p)) > w.remaining {
		return 0, w.fail(fmt.Errorf("nar: write: %d bytes exceed the declared size", len(p)))
	}
	n, err := w.w.Write(p)
	w.remaining -= int64(n)
	if err != nil {
		return n, w.fail(err)
	}
	return n, nil
}

// Close finishes the archive. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		return w.fail(errors.New("nar: close: empty archive"))
	}
	if err := w.finishFile(); err != nil {
		return err
	}
	for len(w.stack) > 0 {
		w.stack = w.stack[:len(w.stack)-1]
		w.tok(")")
		w.closeChild()
	}
	if err := w.flushTokens(); err != nil {
		return err
	}
	w.err = errors.New("nar: writer closed")
	return nil
}

// DumpBytes writes the NAR of a single regular file with contents b (Nix's
// dumpString when executable is false).
func DumpBytes(w io.Writer, b []byte, executable bool) error {
	buf := make([]byte, 0, 128)
	buf = appendStr(buf, magic)
	for _, s := range []string{"(", "type", "regular"} {
		buf = appendStr(buf, s)
	}
	if executable {
		buf = appendStr(buf, "executable")
		buf = appendStr(buf, "")
	}
	buf = appendStr(buf, "contents")
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(b)))
	if _, err := w.Write(buf); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	var tail [24]byte
	t := tail[:padLen(uint64(len(b)))]
	t = appendStr(t, ")")
	_, err := w.Write(t)
	return err
}
