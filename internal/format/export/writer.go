package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"gonix/internal/format/wire"
)

// Writer writes an export stream: WritePath for each path, references
// before the paths that refer to them (ordering is the caller's job, as it
// is Nix's exportPaths'), then Close for the final marker. The output is
// byte-identical to what nix-store --export writes for the same paths.
// An invalid Entry is refused before anything is written; after any other
// error (a malformed NAR, an I/O error) the Writer is unusable and what it
// wrote is not a valid stream.
type Writer struct {
	bw       *bufio.Writer
	storeDir string
	err      error
	closed   bool
}

// NewWriter returns a Writer to w for store paths in storeDir. Output is
// buffered and flushed after each path and by Close.
func NewWriter(w io.Writer, storeDir string) *Writer {
	return &Writer{bw: bufio.NewWriter(w), storeDir: storeDir}
}

// WritePath writes one path: its NAR, read from nar, then the metadata of
// e. e is validated before anything is written (paths must be in the
// Writer's store directory; references are written sorted and without
// duplicates). The NAR is streamed, not held in memory, and checked on the
// way: a malformed archive, or bytes after it in nar, is an error.
func (w *Writer) WritePath(e Entry, nar io.Reader) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("export: WritePath after Close")
	}
	c, err := canonical(w.storeDir, &e)
	if err != nil {
		return fmt.Errorf("export: write %s: %w", e.Path, err)
	}
	if err := w.writePath(&c, nar); err != nil {
		w.err = fmt.Errorf("export: write %s: %w", c.Path, err)
		return w.err
	}
	return nil
}

func (w *Writer) writePath(e *Entry, nar io.Reader) error {
	if err := wire.WriteUint64(w.bw, 1); err != nil {
		return err
	}
	br, ok := nar.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(nar)
	}
	ns := newNarStream(br, "")
	if _, err := io.Copy(w.bw, ns); err != nil {
		return err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("NAR: %w", err)
		}
		return &formatError{msg: "NAR: data after the end of the archive"}
	}
	b := w.bw.AvailableBuffer()
	b = wire.AppendUint64(b, Magic)
	b = wire.AppendString(b, e.Path)
	b = wire.AppendStrings(b, e.References)
	b = wire.AppendString(b, e.Deriver)
	b = wire.AppendUint64(b, 0) // no legacy signature
	if _, err := w.bw.Write(b); err != nil {
		return err
	}
	return w.bw.Flush()
}

// Close writes the end-of-stream marker and flushes. It does not close
// the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	if err := wire.WriteUint64(w.bw, 0); err != nil {
		w.err = fmt.Errorf("export: close: %w", err)
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("export: close: %w", err)
		return w.err
	}
	return nil
}
