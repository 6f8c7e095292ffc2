package narinfo

import (
	"fmt"
	"strings"

	"gonix/internal/format/hash"
)

// contentAddress is a parsed CA field (spec/store.md §2.7): "text:<hash>"
// or "fixed:[r:]<hash>".
type contentAddress struct {
	text      bool
	recursive bool
	hash      hash.Hash
}

// parseContentAddress is Nix 2.8's parseContentAddress, with its error
// texts (content-address.cc).
func parseContentAddress(s string) (contentAddress, error) {
	prefix, rest, ok := strings.Cut(s, ":")
	if !ok {
		return contentAddress{}, fmt.Errorf("not a content address because it is not in the form '<prefix>:<rest>': %s", s)
	}
	algo := func() (hash.Algo, error) {
		name, r, ok := strings.Cut(rest, ":")
		if !ok {
			return 0, fmt.Errorf("content address hash must be in form '<algo>:<hash>', but found: %s", s)
		}
		rest = r
		return hash.ParseAlgo(name)
	}
	var ca contentAddress
	switch prefix {
	case "text":
		a, err := algo()
		if err != nil {
			return contentAddress{}, err
		}
		if a != hash.SHA256 {
			return contentAddress{}, fmt.Errorf("text content address hash should use sha256, but instead uses %s", a)
		}
		ca.text = true
		ca.hash, err = hash.ParseNonSRIUnprefixed(rest, a)
		if err != nil {
			return contentAddress{}, err
		}
	case "fixed":
		if r, ok := strings.CutPrefix(rest, "r:"); ok {
			ca.recursive = true
			rest = r
		}
		a, err := algo()
		if err != nil {
			return contentAddress{}, err
		}
		ca.hash, err = hash.ParseNonSRIUnprefixed(rest, a)
		if err != nil {
			return contentAddress{}, err
		}
	default:
		return contentAddress{}, fmt.Errorf("content address prefix '%s' is unrecognized. Recogonized prefixes are 'text' or 'fixed'", prefix)
	}
	return ca, nil
}

// String renders ca as Nix's renderContentAddress does (hash in nixbase32).
func (ca contentAddress) String() string {
	switch {
	case ca.text:
		return "text:" + ca.hash.Encode(hash.Base32, true)
	case ca.recursive:
		return "fixed:r:" + ca.hash.Encode(hash.Base32, true)
	default:
		return "fixed:" + ca.hash.Encode(hash.Base32, true)
	}
}
