package hash

import (
	"fmt"
	"strings"

	"gonix/internal/format/nixbase32"
)

// Parse parses a hash the way Nix 2.8's Hash::parseAny does. s may be
// "<algo>:<digest>" (digest in base16, nixbase32 or base64, recognised by
// length), SRI "<algo>-<base64>", or a bare digest. algo is the type known
// from the context; it may be 0 when s names its own algorithm, and when
// both are present they must agree.
func Parse(s string, algo Algo) (Hash, error) {
	rest, parsed, isSRI, err := splitPrefix(s)
	if err != nil {
		return Hash{}, err
	}
	if parsed == 0 && algo == 0 {
		return Hash{}, fmt.Errorf("hash '%s' does not include a type, nor is the type otherwise known from context", rest)
	}
	if parsed != 0 && algo != 0 && parsed != algo {
		return Hash{}, fmt.Errorf("hash '%s' should have type '%s'", s, algo)
	}
	if parsed == 0 {
		parsed = algo
	}
	return parseDigest(rest, parsed, isSRI)
}

// ParsePrefixed parses a hash that must name its algorithm, either
// "<algo>:<digest>" or SRI (Nix's Hash::parseAnyPrefixed).
func ParsePrefixed(s string) (Hash, error) {
	rest, parsed, isSRI, err := splitPrefix(s)
	if err != nil {
		return Hash{}, err
	}
	if parsed == 0 {
		return Hash{}, fmt.Errorf("hash '%s' does not include a type", rest)
	}
	return parseDigest(rest, parsed, isSRI)
}

// ParseSRI parses "<algo>-<base64>" (Nix's Hash::parseSRI).
func ParseSRI(s string) (Hash, error) {
	name, rest, ok := strings.Cut(s, "-")
	if !ok {
		return Hash{}, fmt.Errorf("hash '%s' is not SRI", s)
	}
	a, err := ParseAlgo(name)
	if err != nil {
		return Hash{}, err
	}
	return parseDigest(rest, a, true)
}

// ParseNonSRIUnprefixed parses a bare base16, nixbase32 or base64 digest
// of a known algorithm, as found in .drv output hashes.
func ParseNonSRIUnprefixed(s string, algo Algo) (Hash, error) {
	if !algo.Valid() {
		return Hash{}, fmt.Errorf("hash '%s': no hash algorithm given", s)
	}
	return parseDigest(s, algo, false)
}

// ParseAllowEmpty is Parse, except that an empty string yields the
// all-zero hash of algo (Nix's newHashAllowEmpty, used for outputHash;
// the caller prints Nix's warning "found empty hash, assuming '<SRI>'").
func ParseAllowEmpty(s string, algo Algo) (Hash, error) {
	if s == "" {
		if algo == 0 {
			return Hash{}, fmt.Errorf("empty hash requires explicit hash type")
		}
		return Zero(algo), nil
	}
	return Parse(s, algo)
}

// splitPrefix splits "<algo>:" or, failing that, "<algo>-" off s.
func splitPrefix(s string) (rest string, algo Algo, isSRI bool, err error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok {
		name, rest, ok = strings.Cut(s, "-")
		isSRI = ok
	}
	if !ok {
		return s, 0, false, nil
	}
	algo, err = ParseAlgo(name)
	return rest, algo, isSRI, err
}

// parseDigest is Nix's Hash(std::string_view, HashType, bool isSRI)
// constructor: the encoding is chosen by length alone.
func parseDigest(rest string, algo Algo, isSRI bool) (Hash, error) {
	size := algo.Size()
	h := Hash{Algo: algo, Digest: make([]byte, size)}
	switch {
	case !isSRI && len(rest) == algo.Base16Len():
		for i := 0; i < size; i++ {
			hi, ok1 := unhex(rest[2*i])
			lo, ok2 := unhex(rest[2*i+1])
			if !ok1 || !ok2 {
				return Hash{}, fmt.Errorf("invalid base-16 hash '%s'", rest)
			}
			h.Digest[i] = hi<<4 | lo
		}
	case !isSRI && len(rest) == algo.Base32Len():
		if err := nixbase32.Decode(h.Digest, []byte(rest)); err != nil {
			return Hash{}, fmt.Errorf("invalid base-32 hash '%s'", rest)
		}
	case isSRI || len(rest) == algo.Base64Len():
		d, err := decodeBase64(rest)
		if err != nil {
			return Hash{}, err
		}
		if len(d) != size {
			kind := "base-64"
			if isSRI {
				kind = "SRI"
			}
			return Hash{}, fmt.Errorf("invalid %s hash '%s'", kind, rest)
		}
		copy(h.Digest, d)
	default:
		return Hash{}, fmt.Errorf("hash '%s' has wrong length for hash type '%s'", rest, algo)
	}
	return h, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var base64Table = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(base64Chars); i++ {
		t[base64Chars[i]] = byte(i)
	}
	return t
}()

// decodeBase64 is Nix 2.8's lenient base64Decode: it stops at the first
// '=', skips '\n', rejects any other byte outside the alphabet, does not
// require padding and ignores left-over bits.
func decodeBase64(s string) ([]byte, error) {
	res := make([]byte, 0, (len(s)+2)/4*3)
	var d, bits uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			break
		}
		if c == '\n' {
			continue
		}
		v := base64Table[c]
		if v == 0xff {
			return nil, fmt.Errorf("invalid character in Base64 string: '%c'", c)
		}
		bits += 6
		d = d<<6 | uint(v)
		if bits >= 8 {
			res = append(res, byte(d>>(bits-8)))
			bits -= 8
		}
	}
	return res, nil
}
