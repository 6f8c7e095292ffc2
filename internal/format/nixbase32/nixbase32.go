package nixbase32

import (
	"errors"
	"fmt"
)

// Alphabet is Nix's base-32 alphabet: the digits and lower-case letters
// without 'e', 'o', 'u' and 't' (spec/store.md §1.3).
const Alphabet = "0123456789abcdfghijklmnpqrsvwxyz"

// ErrInvalid is wrapped by every decoding error.
var ErrInvalid = errors.New("invalid base-32 hash")

// decodeTable maps a byte to its digit value, or 0xff if the byte is not
// in Alphabet.
var decodeTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(Alphabet); i++ {
		t[Alphabet[i]] = byte(i)
	}
	return t
}()

// EncodedLen returns the length of the encoding of n bytes:
// floor((8n-1)/5)+1, and 0 for n = 0.
func EncodedLen(n int) int {
	if n <= 0 {
		return 0
	}
	return (8*n-1)/5 + 1
}

// DecodedLen returns the number of bytes encoded by a string of n
// characters. Not every n is the length of a valid encoding; see
// DecodeString.
func DecodedLen(n int) int {
	if n <= 0 {
		return 0
	}
	return n * 5 / 8
}

// Encode writes the encoding of src into dst, which must have room for
// EncodedLen(len(src)) bytes, and returns the number of bytes written.
//
// The byte string is read as one little-endian number and printed most
// significant digit first, so the first character carries the top bits
// of the last byte (spec/store.md §1.3).
func Encode(dst, src []byte) int {
	n := EncodedLen(len(src))
	if n == 0 {
		return 0
	}
	_ = dst[n-1]
	last := len(src) - 1
	for k := n - 1; k >= 0; k-- {
		b := uint(k * 5)
		i := b / 8
		j := b % 8
		c := src[i] >> j
		if int(i) < last {
			c |= src[i+1] << (8 - j)
		}
		dst[n-1-k] = Alphabet[c&31]
	}
	return n
}

// AppendEncode appends the encoding of src to dst.
func AppendEncode(dst, src []byte) []byte {
	n := EncodedLen(len(src))
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]byte, l, l+n)
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:l+n]
	Encode(dst[l:], src)
	return dst
}

// EncodeToString returns the encoding of src.
func EncodeToString(src []byte) string {
	var small [128]byte
	n := EncodedLen(len(src))
	var buf []byte
	if n <= len(small) {
		buf = small[:n]
	} else {
		buf = make([]byte, n)
	}
	Encode(buf, src)
	return string(buf)
}

// Decode decodes src into dst, which must be exactly DecodedLen(len(src))
// bytes long. It fails if a character is not in Alphabet, if len(src) is
// not the length of an encoding, or if the unused top bits of the first
// character are not zero, so every accepted string is the canonical
// encoding of its result.
func Decode(dst, src []byte) error {
	return decode(dst, src)
}

func decode[S ~string | ~[]byte](dst []byte, src S) error {
	n := DecodedLen(len(src))
	if EncodedLen(n) != len(src) {
		return fmt.Errorf("%w: bad length %d", ErrInvalid, len(src))
	}
	if len(dst) != n {
		return fmt.Errorf("%w: destination has %d bytes, want %d", ErrInvalid, len(dst), n)
	}
	clear(dst)
	for k := 0; k < len(src); k++ {
		c := src[len(src)-1-k]
		d := decodeTable[c]
		if d == 0xff {
			return fmt.Errorf("%w: invalid character %q", ErrInvalid, c)
		}
		b := uint(k * 5)
		i := b / 8
		j := b % 8
		dst[i] |= d << j
		hi := d >> (8 - j)
		if int(i)+1 < n {
			dst[i+1] |= hi
		} else if hi != 0 {
			return fmt.Errorf("%w: non-zero padding bits", ErrInvalid)
		}
	}
	return nil
}

// DecodeString decodes s; see Decode for the rules.
func DecodeString(s string) ([]byte, error) {
	n := DecodedLen(len(s))
	if EncodedLen(n) != len(s) {
		return nil, fmt.Errorf("%w: bad length %d", ErrInvalid, len(s))
	}
	dst := make([]byte, n)
	if err := decode(dst, s); err != nil {
		return nil, err
	}
	return dst, nil
}

// ValidString reports whether s consists only of characters of Alphabet.
// It does not check the length.
func ValidString(s string) bool {
	for i := 0; i < len(s); i++ {
		if decodeTable[s[i]] == 0xff {
			return false
		}
	}
	return true
}
