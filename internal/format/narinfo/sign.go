package narinfo

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
)

// MaxSigs is what CheckSignatures reports for a path that is verifiably
// content-addressed: such a path needs no signature (Nix's maxSigs).
const MaxSigs = math.MaxInt

// Fingerprint is the string a path's signatures sign (spec/store.md
// §6.2, Nix's ValidPathInfo::fingerprint):
// "1;<storePath>;<algo>:<nixbase32 narHash>;<narSize>;<refs>", refs
// being the full store paths of the references, sorted, joined by ','.
// A zero narSize is an error, as in Nix.
func Fingerprint(storePath string, narHash hash.Hash, narSize uint64, refs []string) (string, error) {
	if narSize == 0 {
		return "", fmt.Errorf("cannot calculate fingerprint of path '%s' because its size is not known", storePath)
	}
	if narHash.IsZero() {
		return "", fmt.Errorf("cannot calculate fingerprint of path '%s' because its NAR hash is not known", storePath)
	}
	var b strings.Builder
	b.WriteString("1;")
	b.WriteString(storePath)
	b.WriteByte(';')
	b.WriteString(narHash.Encode(hash.Base32, true))
	b.WriteByte(';')
	b.WriteString(strconv.FormatUint(narSize, 10))
	b.WriteByte(';')
	b.WriteString(strings.Join(sortedSet(refs), ","))
	return b.String(), nil
}

// storeDir is the directory of ni's store path.
func (ni *NarInfo) storeDir() string {
	i := strings.LastIndexByte(ni.StorePath, '/')
	if i < 0 {
		return ""
	}
	return ni.StorePath[:i]
}

// refPaths returns the full store paths of ni's references.
func (ni *NarInfo) refPaths() []string {
	dir := ni.storeDir()
	out := make([]string, len(ni.References))
	for i, r := range ni.References {
		out[i] = dir + "/" + r
	}
	return out
}

// Fingerprint returns the fingerprint of ni's path (see Fingerprint); the
// store directory is that of ni.StorePath.
func (ni *NarInfo) Fingerprint() (string, error) {
	return Fingerprint(ni.StorePath, ni.NarHash, ni.NarSize, ni.refPaths())
}

// Sign adds k's signature of ni's fingerprint to ni.Sigs, keeping them a
// sorted set (Nix's ValidPathInfo::sign).
func (ni *NarInfo) Sign(k SecretKey) error {
	fp, err := ni.Fingerprint()
	if err != nil {
		return fmt.Errorf("sign %s: %w", ni.StorePath, err)
	}
	sig := k.Sign(fp)
	if sig == "" {
		return fmt.Errorf("sign %s: no secret key", ni.StorePath)
	}
	ni.Sigs = sortedSet(append(slices.Clone(ni.Sigs), sig))
	return nil
}

// CountValidSignatures counts the signatures in sigs that are good
// signatures of fingerprint by one of keys. A malformed signature by a
// known key is an error, as in Nix.
func CountValidSignatures(fingerprint string, sigs []string, keys []PublicKey) (int, error) {
	good := 0
	for _, sig := range sigs {
		ok, err := VerifySignature(fingerprint, sig, keys)
		if err != nil {
			return good, err
		}
		if ok {
			good++
		}
	}
	return good, nil
}

// CheckSignatures is Nix's ValidPathInfo::checkSignatures: MaxSigs when
// ni is verifiably content-addressed (IsContentAddressed), otherwise the
// number of its signatures that are good for keys. The caller compares
// the result with its threshold (1 for require-sigs).
func (ni *NarInfo) CheckSignatures(keys []PublicKey) (int, error) {
	if ni.IsContentAddressed() {
		return MaxSigs, nil
	}
	if len(ni.Sigs) == 0 {
		return 0, nil
	}
	fp, err := ni.Fingerprint()
	if err != nil {
		return 0, fmt.Errorf("check signatures of %s: %w", ni.StorePath, err)
	}
	n, err := CountValidSignatures(fp, ni.Sigs, keys)
	if err != nil {
		return n, fmt.Errorf("check signatures of %s: %w", ni.StorePath, err)
	}
	return n, nil
}

// IsContentAddressed reports whether ni has a CA field and the store
// path computed from it (with ni's references) is ni.StorePath (Nix's
// ValidPathInfo::isContentAddressed). When ni.CA is set but this is
// false, Nix warns "path '…' claims to be content-addressed but isn't".
func (ni *NarInfo) IsContentAddressed() bool {
	if ni.CA == "" {
		return false
	}
	ca, err := parseContentAddress(ni.CA)
	if err != nil {
		return false
	}
	dir := ni.storeDir()
	_, name, err := storepath.ParsePath(dir, ni.StorePath)
	if err != nil {
		return false
	}
	if ca.text {
		p, err := storepath.MakeTextPath(dir, name, ca.hash.Digest, ni.refPaths())
		return err == nil && p == ni.StorePath
	}
	self := false
	var refs []string
	for _, r := range ni.refPaths() {
		if r == ni.StorePath {
			self = true
			continue
		}
		refs = append(refs, r)
	}
	var p string
	if ca.recursive && ca.hash.Algo == hash.SHA256 {
		p, err = storepath.MakeSourcePath(dir, name, ca.hash.Digest, refs, self)
	} else if self {
		// Nix asserts that other fixed-output paths have no references.
		return false
	} else {
		p, err = storepath.MakeFixedOutputPath(dir, name, ca.recursive, ca.hash, refs)
	}
	return err == nil && p == ni.StorePath
}
