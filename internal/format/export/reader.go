package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"

	"gonix/internal/format/storepath"
	"gonix/internal/format/wire"
)

// Reader reads an export stream path by path. The metadata of a path
// follows its NAR in the stream, so reading one path takes two calls:
//
//	for {
//		nar, err := r.Next() // io.EOF after the last path
//		...
//		// consume nar: hash it, restore it to a temporary place, ...
//		e, err := r.Entry() // the path, references and deriver
//		...
//	}
//
// The NAR reader returned by Next yields the archive's raw bytes as they
// arrive (nothing is held beyond a 32 KiB chunk) and checks their
// structure with nar.Reader on the way: its Read fails at the first
// malformed part, so a restore or hash fed from it fails too. It returns
// io.EOF exactly at the archive's end. The stream carries no NAR hash or
// size: Nix computes them from these bytes on import, and a caller that
// needs them tees the reader into a hash (NarSize reports the length).
// Entry reads and checks whatever the caller left unread of the NAR, then
// the trailer. Calling Next again without Entry skips the rest of the
// current path.
//
// Validation follows Nix 2.8's importPaths: a marker other than 0 or 1 is
// "input doesn't look like something created by 'nix-store --export'",
// a wrong magic is "Nix archive cannot be imported; wrong format", and
// the path, each reference and a non-empty deriver must be store paths in
// the Reader's store directory (parsed like Nix: canonicalised first). As
// in Nix, references are a set: they come back sorted and deduplicated.
// A legacy signature (flag 1 and a string) is read and ignored, as Nix
// 2.8 does; unlike Nix, which treats any other flag value as "none", the
// Reader refuses flags other than 0 and 1, values no Nix version writes.
type Reader struct {
	br       *bufio.Reader
	storeDir string
	n        int // entries started
	nar      *narStream
	err      error // sticky
	eof      bool
	narSize  int64
}

// NewReader returns a Reader for the stream r, whose store paths must be
// in storeDir (usually storepath.DefaultStoreDir). If r is a
// *bufio.Reader it is read directly and exactly the stream's bytes are
// consumed from it, so a stream embedded in a protocol can be followed by
// other data; any other reader is wrapped in a bufio.Reader, which may
// read past the end of the stream.
func NewReader(r io.Reader, storeDir string) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Reader{br: br, storeDir: storeDir}
}

// bad returns a format error about the current entry.
func (r *Reader) bad(cause error, format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf("export: entry %d: ", r.n) + fmt.Sprintf(format, args...), cause: cause}
}

// readErr turns an error of package wire into the Reader's own: running
// out of input is a truncated stream, an overlong string malformed.
func (r *Reader) readErr(what string, err error) error {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return r.bad(io.ErrUnexpectedEOF, "%s: unexpected end of input", what)
	case errors.Is(err, wire.ErrTooLong) || errors.Is(err, wire.ErrPadding):
		return r.bad(err, "%s: %v", what, err)
	}
	return fmt.Errorf("export: entry %d: %s: %w", r.n, what, err)
}

// Next advances to the next path and returns a reader of its NAR. After
// the stream's final marker it returns io.EOF. Errors are sticky.
func (r *Reader) Next() (io.Reader, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.nar != nil {
		if _, err := r.Entry(); err != nil {
			return nil, err
		}
	}
	if r.eof {
		return nil, io.EOF
	}
	r.n++
	marker, err := wire.ReadUint64(r.br)
	if err != nil {
		r.err = r.readErr("marker", err)
		return nil, r.err
	}
	switch marker {
	case 0:
		r.eof = true
		return nil, io.EOF
	case 1:
	default:
		r.err = r.bad(nil, "input doesn't look like something created by 'nix-store --export'")
		return nil, r.err
	}
	r.nar = newNarStream(r.br, fmt.Sprintf("export: entry %d: ", r.n))
	return r.nar, nil
}

// Entry finishes the current path: it reads what is left of its NAR,
// then its metadata. It is an error to call it without a preceding Next.
func (r *Reader) Entry() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.nar == nil {
		return nil, errors.New("export: Entry called without Next")
	}
	e, err := r.entry()
	if err != nil {
		r.err = err
		return nil, err
	}
	return e, nil
}

func (r *Reader) entry() (*Entry, error) {
	ns := r.nar
	r.nar = nil
	if err := ns.drain(); err != nil {
		return nil, err
	}
	r.narSize = ns.size
	magic, err := wire.ReadUint64(r.br)
	if err != nil {
		return nil, r.readErr("magic", err)
	}
	if magic != Magic {
		return nil, r.bad(nil, "Nix archive cannot be imported; wrong format")
	}
	s, err := wire.ReadString(r.br, MaxPathLen)
	if err != nil {
		return nil, r.readErr("path", err)
	}
	p, err := storepath.Parse(r.storeDir, s)
	if err != nil {
		return nil, r.bad(err, "%v", err)
	}
	e := &Entry{Path: p.String()}
	refs, err := wire.ReadStrings(r.br, math.MaxInt, MaxPathLen)
	if err != nil {
		return nil, r.readErr(e.Path+": references", err)
	}
	e.References = refs
	e.Deriver, err = wire.ReadString(r.br, MaxPathLen)
	if err != nil {
		return nil, r.readErr(e.Path+": deriver", err)
	}
	flag, err := wire.ReadUint64(r.br)
	if err != nil {
		return nil, r.readErr(e.Path+": signature flag", err)
	}
	switch flag {
	case 0:
	case 1:
		if _, err := wire.ReadString(r.br, maxLegacySigLen); err != nil {
			return nil, r.readErr(e.Path+": legacy signature", err)
		}
	default:
		return nil, r.bad(nil, "%s: unexpected signature flag %d", e.Path, flag)
	}
	c, err := canonical(r.storeDir, e)
	if err != nil {
		return nil, r.bad(err, "%s: %v", e.Path, err)
	}
	return &c, nil
}

// NarSize is the length of the NAR of the path Entry last returned.
func (r *Reader) NarSize() int64 { return r.narSize }
