package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The format (spec/store.md §11.1): an integer is 8 bytes, unsigned,
// little-endian; booleans, enums and magic numbers are integers too. A
// string is its length as an integer, its bytes, then zero bytes up to a
// multiple of 8. A list is a count followed by that many strings.

// Errors returned (wrapped) by the readers.
var (
	// ErrTooLong is a length or count above the caller's limit. It is
	// reported before anything is allocated for it.
	ErrTooLong = errors.New("too long")
	// ErrPadding is non-zero padding after a string; Nix refuses it too
	// ("non-zero padding").
	ErrPadding = errors.New("non-zero padding")
)

// PadLen is the number of zero bytes that follow a string of n bytes.
func PadLen(n uint64) int {
	return int(-n & 7)
}

// peeker is implemented by *bufio.Reader; with it integers and short
// strings are decoded without an allocation per value.
type peeker interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// readFull is io.ReadFull that keeps io.EOF only when nothing was read, so
// callers can tell a clean end of stream from a truncated value.
func readFull(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	return err
}

// ReadUint64 reads one integer. At a clean end of input (no byte read) the
// error wraps io.EOF; a partial integer wraps io.ErrUnexpectedEOF.
func ReadUint64(r io.Reader) (uint64, error) {
	if p, ok := r.(peeker); ok {
		b, err := p.Peek(8)
		if len(b) == 8 {
			n := binary.LittleEndian.Uint64(b)
			p.Discard(8) // cannot fail: the bytes are buffered
			return n, nil
		}
		if len(b) == 0 && err != nil {
			return 0, fmt.Errorf("wire: read integer: %w", err)
		}
	}
	var b [8]byte
	if err := readFull(r, b[:]); err != nil {
		return 0, fmt.Errorf("wire: read integer: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// ReadBool reads an integer as a boolean; like Nix, any non-zero value is
// true.
func ReadBool(r io.Reader) (bool, error) {
	n, err := ReadUint64(r)
	return n != 0, err
}

// ReadPadding reads and checks the padding after a string of n bytes, for
// callers that stream a string's bytes themselves.
func ReadPadding(r io.Reader, n uint64) error {
	pad := PadLen(n)
	if pad == 0 {
		return nil
	}
	var b [8]byte
	if err := readFull(r, b[:pad]); err != nil {
		return fmt.Errorf("wire: read padding: %w", noEOF(err))
	}
	for _, c := range b[:pad] {
		if c != 0 {
			return fmt.Errorf("wire: read padding: %w", ErrPadding)
		}
	}
	return nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF, for reads in the middle of
// a value.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadLen reads a length or count and checks it against limit.
func ReadLen(r io.Reader, limit int) (uint64, error) {
	n, err := ReadUint64(r)
	if err != nil {
		return 0, err
	}
	if limit < 0 || n > uint64(limit) {
		return 0, fmt.Errorf("wire: read length: %d is %w (limit %d)", n, ErrTooLong, limit)
	}
	return n, nil
}

// chunk is how much ReadBytes allocates ahead of the data actually
// received, so a forged length within the limit cannot make it allocate
// much more than the input holds.
const chunk = 64 << 10

// ReadBytes reads a string of at most limit bytes. The error wraps
// ErrTooLong for a longer one, ErrPadding for bad padding, io.EOF when the
// input ends before the string and io.ErrUnexpectedEOF inside it.
func ReadBytes(r io.Reader, limit int) ([]byte, error) {
	n, err := ReadLen(r, limit)
	if err != nil {
		return nil, err
	}
	if p, ok := r.(peeker); ok && n <= 4096 {
		total := int(n) + PadLen(n)
		if b, _ := p.Peek(total); len(b) == total {
			if !zero(b[n:]) {
				return nil, fmt.Errorf("wire: read padding: %w", ErrPadding)
			}
			out := append([]byte(nil), b[:n]...)
			p.Discard(total)
			return out, nil
		}
	}
	var buf []byte
	if n <= chunk {
		buf = make([]byte, n)
		if err := readFull(r, buf); err != nil {
			return nil, fmt.Errorf("wire: read string: %w", noEOF(err))
		}
	} else {
		// Grow with the data that actually arrives.
		for uint64(len(buf)) < n {
			m := min(n-uint64(len(buf)), uint64(max(len(buf), chunk)))
			buf = append(buf, make([]byte, m)...)
			if err := readFull(r, buf[uint64(len(buf))-m:]); err != nil {
				return nil, fmt.Errorf("wire: read string: %w", noEOF(err))
			}
		}
	}
	if err := ReadPadding(r, n); err != nil {
		return nil, err
	}
	return buf, nil
}

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// ReadString reads a string of at most limit bytes (see ReadBytes).
func ReadString(r io.Reader, limit int) (string, error) {
	if p, ok := r.(peeker); ok {
		// Short strings straight from the buffer: one allocation.
		if b, _ := p.Peek(8); len(b) == 8 {
			n := binary.LittleEndian.Uint64(b)
			if limit >= 0 && n <= uint64(limit) && n <= 4096 {
				total := 8 + int(n) + PadLen(n)
				if b, _ := p.Peek(total); len(b) == total {
					if !zero(b[8+n:]) {
						return "", fmt.Errorf("wire: read padding: %w", ErrPadding)
					}
					s := string(b[8 : 8+n])
					p.Discard(total)
					return s, nil
				}
			}
		}
	}
	b, err := ReadBytes(r, limit)
	return string(b), err
}

// ReadStrings reads a list of at most maxCount strings of at most maxLen
// bytes each.
func ReadStrings(r io.Reader, maxCount, maxLen int) ([]string, error) {
	n, err := ReadLen(r, maxCount)
	if err != nil {
		return nil, err
	}
	// Do not trust the count for the allocation; append grows with the
	// strings actually read.
	ss := make([]string, 0, min(n, 64))
	for i := uint64(0); i < n; i++ {
		s, err := ReadString(r, maxLen)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("wire: read list item %d: %w", i, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// availableBufferer is implemented by *bufio.Writer and *bytes.Buffer:
// values are appended to their free space without an allocation.
type availableBufferer interface {
	AvailableBuffer() []byte
	io.Writer
}

var _ availableBufferer = (*bufio.Writer)(nil)

// WriteUint64 writes one integer.
func WriteUint64(w io.Writer, n uint64) error {
	var err error
	if ab, ok := w.(availableBufferer); ok {
		_, err = ab.Write(binary.LittleEndian.AppendUint64(ab.AvailableBuffer(), n))
	} else {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], n)
		_, err = w.Write(b[:])
	}
	if err != nil {
		return fmt.Errorf("wire: write integer: %w", err)
	}
	return nil
}

// WriteBool writes a boolean as the integer 1 or 0.
func WriteBool(w io.Writer, b bool) error {
	var n uint64
	if b {
		n = 1
	}
	return WriteUint64(w, n)
}

const zeroPad = "\x00\x00\x00\x00\x00\x00\x00\x00"

// WritePadding writes the zero bytes that follow a string of n bytes, for
// callers that stream a string's bytes themselves.
func WritePadding(w io.Writer, n uint64) error {
	pad := PadLen(n)
	if pad == 0 {
		return nil
	}
	var err error
	if ab, ok := w.(availableBufferer); ok {
		_, err = ab.Write(append(ab.AvailableBuffer(), zeroPad[:pad]...))
	} else {
		_, err = io.WriteString(w, zeroPad[:pad])
	}
	if err != nil {
		return fmt.Errorf("wire: write padding: %w", err)
	}
	return nil
}

// WriteBytes writes b as a string.
func WriteBytes(w io.Writer, b []byte) error {
	if err := WriteUint64(w, uint64(len(b))); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("wire: write string: %w", err)
	}
	return WritePadding(w, uint64(len(b)))
}

// WriteString writes s as a string.
func WriteString(w io.Writer, s string) error {
	if err := WriteUint64(w, uint64(len(s))); err != nil {
		return err
	}
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("wire: write string: %w", err)
	}
	return WritePadding(w, uint64(len(s)))
}

// WriteStrings writes a list of strings (a set is a list written sorted;
// sorting is the caller's job).
func WriteStrings(w io.Writer, ss []string) error {
	if err := WriteUint64(w, uint64(len(ss))); err != nil {
		return err
	}
	for _, s := range ss {
		if err := WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}

// AppendUint64 appends the encoding of an integer to b.
func AppendUint64(b []byte, n uint64) []byte {
	return binary.LittleEndian.AppendUint64(b, n)
}

// AppendBool appends the encoding of a boolean to b.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return AppendUint64(b, 1)
	}
	return AppendUint64(b, 0)
}

// AppendString appends the encoding of a string to b.
func AppendString(b []byte, s string) []byte {
	b = AppendUint64(b, uint64(len(s)))
	b = append(b, s...)
	return append(b, zeroPad[:PadLen(uint64(len(s)))]...)
}

// AppendStrings appends the encoding of a list of strings to b.
func AppendStrings(b []byte, ss []string) []byte {
	b = AppendUint64(b, uint64(len(ss)))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}
