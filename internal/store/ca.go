package store

import (
	"fmt"
	"strings"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
)

// FixedCA renders the content address of a fixed-output path:
// "fixed:[r:]algo:base32".
func FixedCA(method Method, h hash.Hash) string {
	m := ""
	if method == Recursive {
		m = "r:"
	}
	return "fixed:" + m + h.Encode(hash.Base32, true)
}

// TextCA renders the content address of a text path: "text:sha256:base32".
func TextCA(h hash.Hash) string { return "text:" + h.Encode(hash.Base32, true) }

// CheckCA reports whether a path whose content address is ca (with the given
// references) really has that store path: Nix refuses to register a path that
// "claims to be content-addressed but isn't".
func CheckCA(storeDir, path, ca string, refs []string) error {
	sp, err := storepath.Parse(storeDir, path)
	if err != nil {
		return err
	}
	var want string
	switch {
	case strings.HasPrefix(ca, "text:"):
		h, err := hash.ParsePrefixed(ca[len("text:"):])
		if err != nil || h.Algo != hash.SHA256 {
			return fmt.Errorf("content address '%s' of '%s' is malformed", ca, path)
		}
		want, err = storepath.MakeTextPath(storeDir, sp.Name, h.Digest, refs)
		if err != nil {
			return err
		}
	case strings.HasPrefix(ca, "fixed:"):
		rest := ca[len("fixed:"):]
		rec := strings.HasPrefix(rest, "r:")
		if rec {
			rest = rest[2:]
		}
		h, err := hash.ParsePrefixed(rest)
		if err != nil {
			return fmt.Errorf("content address '%s' of '%s' is malformed", ca, path)
		}
		var others []string
		self := false
		for _, r := range refs {
			if r == path {
				self = true
			} else {
				others = append(others, r)
			}
		}
		if rec && h.Algo == hash.SHA256 {
			want, err = storepath.MakeSourcePath(storeDir, sp.Name, h.Digest, others, self)
		} else {
			if len(refs) > 0 {
				return fmt.Errorf("cannot add path '%s' to the Nix store because it claims to be content-addressed but isn't", path)
			}
			want, err = storepath.MakeFixedOutputPath(storeDir, sp.Name, rec, h, nil)
		}
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("content address '%s' of '%s' is malformed", ca, path)
	}
	if want != path {
		return fmt.Errorf("cannot add path '%s' to the Nix store because it claims to be content-addressed but isn't", path)
	}
	return nil
}
