package hash

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	gohash "hash"

	"gonix/internal/format/nixbase32"
)

// Algo is a hash algorithm Nix knows. The zero value means "no algorithm"
// (for example a hash string whose type must come from its context).
type Algo uint8

// The algorithms of spec/store.md §1.1.
const (
	MD5 Algo = iota + 1
	SHA1
	SHA256
	SHA512
)

var algoNames = [...]string{MD5: "md5", SHA1: "sha1", SHA256: "sha256", SHA512: "sha512"}
var algoSizes = [...]int{MD5: md5.Size, SHA1: sha1.Size, SHA256: sha256.Size, SHA512: sha512.Size}

// ParseAlgo parses an algorithm name. Only the exact lower-case names
// md5, sha1, sha256 and sha512 are accepted.
func ParseAlgo(s string) (Algo, error) {
	switch s {
	case "md5":
		return MD5, nil
	case "sha1":
		return SHA1, nil
	case "sha256":
		return SHA256, nil
	case "sha512":
		return SHA512, nil
	}
	return 0, fmt.Errorf("unknown hash algorithm '%s'", s)
}

// Valid reports whether a is one of the four algorithms.
func (a Algo) Valid() bool { return a >= MD5 && a <= SHA512 }

// String returns the algorithm's name as Nix spells it, or "" for the
// zero Algo.
func (a Algo) String() string {
	if !a.Valid() {
		return ""
	}
	return algoNames[a]
}

// Size returns the digest length in bytes (0 for an invalid Algo).
func (a Algo) Size() int {
	if !a.Valid() {
		return 0
	}
	return algoSizes[a]
}

// New returns a new hash.Hash computing a, or nil for an invalid Algo.
func (a Algo) New() gohash.Hash {
	switch a {
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	}
	return nil
}

// Base16Len, Base32Len and Base64Len are the lengths of a digest of a
// in each encoding; Parse uses them to recognise the encoding.
func (a Algo) Base16Len() int { return 2 * a.Size() }

// Base32Len is the nixbase32 length of a digest of a.
func (a Algo) Base32Len() int { return nixbase32.EncodedLen(a.Size()) }

// Base64Len is the padded base64 length of a digest of a.
func (a Algo) Base64Len() int { return ((4*a.Size())/3 + 3) &^ 3 }

// Hash is a digest together with its algorithm.
type Hash struct {
	Algo   Algo
	Digest []byte
}

// Sum returns the hash of data with algorithm a.
func Sum(a Algo, data []byte) Hash {
	var d []byte
	switch a {
	case MD5:
		s := md5.Sum(data)
		d = s[:]
	case SHA1:
		s := sha1.Sum(data)
		d = s[:]
	case SHA256:
		s := sha256.Sum256(data)
		d = s[:]
	case SHA512:
		s := sha512.Sum512(data)
		d = s[:]
	}
	return Hash{Algo: a, Digest: d}
}

// Zero returns the all-zero hash of algorithm a.
func Zero(a Algo) Hash { return Hash{Algo: a, Digest: make([]byte, a.Size())} }

// IsZero reports whether h has no algorithm.
func (h Hash) IsZero() bool { return h.Algo == 0 }

// Equal reports whether h and o have the same algorithm and digest.
func (h Hash) Equal(o Hash) bool { return h.Algo == o.Algo && bytes.Equal(h.Digest, o.Digest) }

// Base is a textual encoding of a digest.
type Base uint8

// The encodings Nix prints (spec/store.md §1.5).
const (
	Base16 Base = iota
	Base32
	Base64
	SRI
)

// Encode prints h in the given encoding; with withAlgo (or for SRI, which
// always carries it) the algorithm name and ':' (SRI: '-') come first.
// This is Nix's Hash::to_string.
func (h Hash) Encode(base Base, withAlgo bool) string {
	var buf []byte
	var small [160]byte
	buf = small[:0]
	if base == SRI || withAlgo {
		buf = append(buf, h.Algo.String()...)
		if base == SRI {
			buf = append(buf, '-')
		} else {
			buf = append(buf, ':')
		}
	}
	switch base {
	case Base16:
		buf = hex.AppendEncode(buf, h.Digest)
	case Base32:
		buf = nixbase32.AppendEncode(buf, h.Digest)
	default:
		buf = base64.StdEncoding.AppendEncode(buf, h.Digest)
	}
	return string(buf)
}

// Base16 returns the lower-case hexadecimal digest.
func (h Hash) Base16() string { return hex.EncodeToString(h.Digest) }

// Base32 returns the nixbase32 digest.
func (h Hash) Base32() string { return nixbase32.EncodeToString(h.Digest) }

// Base64 returns the padded standard base64 digest.
func (h Hash) Base64() string { return base64.StdEncoding.EncodeToString(h.Digest) }

// SRI returns "<algo>-<base64>".
func (h Hash) SRI() string { return h.Encode(SRI, true) }

// String returns "<algo>:<nixbase32>", the form Nix uses in narinfo
// files, content addresses and error messages.
func (h Hash) String() string { return h.Encode(Base32, true) }

// CompressHash XOR-folds digest into n bytes: out[i mod n] ^= digest[i]
// (spec/store.md §1.6). Store paths use n = 20 on a SHA-256 digest.
func CompressHash(digest []byte, n int) []byte {
	out := make([]byte, n)
	if n == 0 {
		return out
	}
	for i, b := range digest {
		out[i%n] ^= b
	}
	return out
}
