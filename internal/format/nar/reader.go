package nar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Reader reads an archive node by node, like archive/tar: Next returns
// the header of each node in archive order and Read the contents of the
// current regular file. It reads exactly the archive's bytes and nothing
// after it, so an archive embedded in a stream (nix-store --export, the
// serve and daemon protocols) can be followed by other data. It issues
// small reads: give it a buffered reader.
//
// It is strict: it accepts only canonical archives, the ones Writer and
// Dump produce, so whatever it accepts re-serialises to the same bytes.
// In particular it rejects invalid names ("", ".", "..", containing '/' or
// NUL, longer than MaxNameLen), duplicate or unsorted entries, empty,
// overlong or NUL-containing symlink targets, non-zero padding, unknown
// or misplaced tokens, and paths longer than MaxPathLen. Lengths are
// checked before anything is allocated from them.
type Reader struct {
	r         io.Reader
	stack     []rframe
	remaining uint64 // contents of the current file not yet read
	pad       int
	inFile    bool
	started   bool
	err       error
	scratch   [64]byte
	cur       string // path of the current node, for errors
}

type rframe struct {
	path, last string
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

func (r *Reader) bad(format string, args ...any) error {
	return &FormatError{Path: r.cur, Msg: fmt.Sprintf(format, args...)}
}

// readFull reads len(b) bytes; running out of input is a FormatError.
func (r *Reader) readFull(b []byte) error {
	if _, err := io.ReadFull(r.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return r.bad("bad archive: unexpected end of archive")
		}
		return err
	}
	return nil
}

func (r *Reader) u64() (uint64, error) {
	if err := r.readFull(r.scratch[:8]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(r.scratch[:8]), nil
}

func (r *Reader) padding(n uint64) error {
	p := padLen(n)
	if p == 0 {
		return nil
	}
	b := r.scratch[:p]
	if err := r.readFull(b); err != nil {
		return err
	}
	for _, c := range b {
		if c != 0 {
			return r.bad("non-zero padding")
		}
	}
	return nil
}

// token reads a short string (a keyword) into the scratch buffer; the
// result is valid until the next read. Longer strings are reported as
// unknown without being read.
func (r *Reader) token() ([]byte, error) {
	n, err := r.u64()
	if err != nil {
		return nil, err
	}
	if n > 16 {
		return nil, r.bad("bad archive: unknown field of %d bytes", n)
	}
	b := r.scratch[8 : 8+n]
	if err := r.readFull(b); err != nil {
		return nil, err
	}
	return b, r.padding(n)
}

func (r *Reader) expect(want string) error {
	t, err := r.token()
	if err != nil {
		return err
	}
	if string(t) != want {
		if want == "(" {
			return r.bad("bad archive: expected open tag")
		}
		return r.bad("bad archive: unknown field %s", t)
	}
	return nil
}

// str reads a string of at most max bytes.
func (r *Reader) str(max uint64, what string) (string, error) {
	n, err := r.u64()
	if err != nil {
		return "", err
	}
	if n > max {
		return "", r.bad("bad archive: %s of %d bytes is too long", what, n)
	}
	b := make([]byte, n)
	if err := r.readFull(b); err != nil {
		return "", err
	}
	return string(b), r.padding(n)
}

// Next advances to the next node, skipping what is left of the current
// file's contents. It returns io.EOF after the last node.
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	h, err := r.next()
	if err != nil {
		r.err = err
	}
	return h, err
}

func (r *Reader) next() (*Header, error) {
	if !r.started {
		r.started = true
		// A failing input (a decompressor's error, a network error) is
		// reported as itself; only a short or wrong header is "not a NAR".
		var fe *FormatError
		n, err := r.u64()
		if err != nil && !errors.As(err, &fe) {
			return nil, err
		}
		if err != nil || n != uint64(len(magic)) {
			return nil, r.bad("bad archive: input doesn't look like a Nix archive")
		}
		b := r.scratch[8 : 8+len(magic)]
		if err := r.readFull(b); err != nil && !errors.As(err, &fe) {
			return nil, err
		} else if err != nil || string(b) != magic {
			return nil, r.bad("bad archive: input doesn't look like a Nix archive")
		}
		if err := r.padding(uint64(len(magic))); err != nil {
			return nil, err
		}
		return r.node("")
	}
	if r.inFile {
		if r.remaining > 0 {
			if _, err := io.CopyN(io.Discard, r.r, int64(r.remaining)); err != nil {
				return nil, r.bad("bad archive: unexpected end of archive")
			}
			r.remaining = 0
		}
		r.inFile = false
		var zero [8]byte
		if err := r.readFull(r.scratch[:r.pad]); err != nil {
			return nil, err
		}
		if !bytes.Equal(r.scratch[:r.pad], zero[:r.pad]) {
			return nil, r.bad("non-zero padding")
		}
		if err := r.expect(")"); err != nil {
			return nil, err
		}
		if err := r.closeChild(); err != nil {
			return nil, err
		}
	}
	for len(r.stack) > 0 {
		top := &r.stack[len(r.stack)-1]
		r.cur = top.path
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		switch string(t) {
		case "entry":
			if err := r.expect("("); err != nil {
				return nil, err
			}
			t, err := r.token()
			if err != nil {
				return nil, err
			}
			if string(t) == "node" {
				return nil, r.bad("bad archive: entry name missing")
			}
			if string(t) != "name" {
				return nil, r.bad("bad archive: unknown field %s", t)
			}
			name, err := r.str(MaxNameLen, "file name")
			if err != nil {
				return nil, err
			}
			if !validName(name) {
				return nil, r.bad("NAR contains invalid file name '%s'", name)
			}
			if top.last != "" && name <= top.last {
				if name == top.last {
					return nil, r.bad("NAR directory contains duplicate entry '%s'", name)
				}
				return nil, r.bad("NAR directory is not sorted")
			}
			top.last = name
			p := joinPath(top.path, name)
			if len(p) > MaxPathLen {
				return nil, r.bad("NAR contains a path longer than %d bytes", MaxPathLen)
			}
			if err := r.expect("node"); err != nil {
				return nil, err
			}
			return r.node(p)
		case ")":
			r.stack = r.stack[:len(r.stack)-1]
			if err := r.closeChild(); err != nil {
				return nil, err
			}
		default:
			return nil, r.bad("bad archive: unknown field %s", t)
		}
	}
	return nil, io.EOF
}

// closeChild reads the ")" that ends the entry of a node that was a
// directory entry.
func (r *Reader) closeChild() error {
	if len(r.stack) == 0 {
		return nil
	}
	return r.expect(")")
}

// node reads a node's opening tokens.
func (r *Reader) node(path string) (*Header, error) {
	r.cur = path
	if err := r.expect("("); err != nil {
		return nil, err
	}
	if err := r.expect("type"); err != nil {
		return nil, err
	}
	t, err := r.token()
	if err != nil {
		return nil, err
	}
	h := &Header{Path: path}
	switch string(t) {
	case "regular":
		h.Type = TypeRegular
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		if string(t) == "executable" {
			h.Executable = true
			n, err := r.u64()
			if err != nil {
				return nil, err
			}
			if n != 0 {
				return nil, r.bad("bad archive: executable marker has non-empty value")
			}
			if t, err = r.token(); err != nil {
				return nil, err
			}
		}
		if string(t) != "contents" {
			return nil, r.bad("bad archive: unknown field %s", t)
		}
		size, err := r.u64()
		if err != nil {
			return nil, err
		}
		if size > math.MaxInt64 {
			return nil, r.bad("bad archive: file size %d is too large", size)
		}
		h.Size = int64(size)
		r.inFile, r.remaining, r.pad = true, size, padLen(size)
	case "symlink":
		h.Type = TypeSymlink
		if err := r.expect("target"); err != nil {
			return nil, err
		}
		if h.LinkTarget, err = r.str(MaxTargetLen, "symlink target"); err != nil {
			return nil, err
		}
		if h.LinkTarget == "" || bytes.IndexByte([]byte(h.LinkTarget), 0) >= 0 {
			return nil, r.bad("NAR contains invalid symlink target '%s'", h.LinkTarget)
		}
		if err := r.expect(")"); err != nil {
			return nil, err
		}
		if err := r.closeChild(); err != nil {
			return nil, err
		}
	case "directory":
		h.Type = TypeDirectory
		r.stack = append(r.stack, rframe{path: path})
	default:
		return nil, r.bad("bad archive: unknown file type %s", t)
	}
	return h, nil
}

// Read reads the contents of the current regular file; it returns io.EOF
// at the end of the file (and at once for other node types).
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if !r.inFile || r.remaining == 0 {
		return 0, io.EOF
	}
	if uint64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.r.Read(p)
	r.remaining -= uint64(n)
	if err == io.EOF {
		if r.remaining > 0 {
			r.err = r.bad("bad archive: unexpected end of archive")
			return n, r.err
		}
		err = nil
	}
	if err != nil {
		r.err = err
	}
	return n, err
}
