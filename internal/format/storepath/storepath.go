package storepath

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"

	"gonix/internal/format/hash"
	"gonix/internal/format/nixbase32"
)

// DefaultStoreDir is the logical store directory unless NIX_STORE_DIR
// says otherwise. It is part of every store path hash.
const DefaultStoreDir = "/nix/store"

// HashLen is the length of the hash part of a store path: the nixbase32
// encoding of 20 bytes.
const HashLen = 32

// hashBytes is the length of the compressed digest behind the hash part.
const hashBytes = 20

// MakeStorePath returns storeDir/<hash>-<name> where <hash> is the
// nixbase32 of the SHA-256 of
// "<typ>:sha256:<hex(digest)>:<storeDir>:<name>" XOR-folded to 20 bytes
// (spec/store.md §2.3). digest is a SHA-256 digest. An invalid name gives
// a *NameError whose text names the computed hash part, as Nix's does.
func MakeStorePath(storeDir, typ string, digest []byte, name string) (string, error) {
	var small [512]byte
	fp := small[:0]
	fp = append(fp, typ...)
	fp = append(fp, ":sha256:"...)
	fp = hex.AppendEncode(fp, digest)
	fp = append(fp, ':')
	fp = append(fp, storeDir...)
	fp = append(fp, ':')
	fp = append(fp, name...)
	sum := sha256.Sum256(fp)
	var folded [hashBytes]byte
	for i, b := range sum {
		folded[i%hashBytes] ^= b
	}
	var hp [HashLen]byte
	nixbase32.Encode(hp[:], folded[:])
	if e := checkName(name); e != nil {
		e.Base = string(hp[:]) + "-" + name
		return "", e
	}
	out := make([]byte, 0, len(storeDir)+1+HashLen+1+len(name))
	out = append(out, storeDir...)
	out = append(out, '/')
	out = append(out, hp[:]...)
	out = append(out, '-')
	out = append(out, name...)
	return string(out), nil
}

// makeType appends ":<ref>" for every reference (sorted, deduplicated)
// and ":self" if asked, as Nix's makeType does.
func makeType(typ string, refs []string, self bool) string {
	if len(refs) == 0 && !self {
		return typ
	}
	if !slices.IsSorted(refs) {
		refs = slices.Clone(refs)
		slices.Sort(refs)
	}
	var b strings.Builder
	n := len(typ) + 5
	for _, r := range refs {
		n += len(r) + 1
	}
	b.Grow(n)
	b.WriteString(typ)
	for i, r := range refs {
		if i > 0 && refs[i-1] == r {
			continue
		}
		b.WriteByte(':')
		b.WriteString(r)
	}
	if self {
		b.WriteString(":self")
	}
	return b.String()
}

// MakeTextPath is the path of a text file (builtins.toFile, .drv files)
// with the given SHA-256 of its contents and references (full store
// paths; spec/store.md §2.5).
func MakeTextPath(storeDir, name string, contentSHA256 []byte, refs []string) (string, error) {
	return MakeStorePath(storeDir, makeType("text", refs, false), contentSHA256, name)
}

// MakeSourcePath is the path of a recursively (NAR) hashed SHA-256
// content-addressed object: nix-store --add, path literals, recursive
// sha256 fixed outputs. self is set only for experimental CA outputs that
// refer to themselves.
func MakeSourcePath(storeDir, name string, narSHA256 []byte, refs []string, self bool) (string, error) {
	return MakeStorePath(storeDir, makeType("source", refs, self), narSHA256, name)
}

// MakeFixedOutputPath is Nix's makeFixedOutputPath (spec/store.md §2.4):
// recursive SHA-256 gives the "source" form; anything else hashes
// "fixed:out:[r:]<algo>:<hex>:" and allows no references.
func MakeFixedOutputPath(storeDir, name string, recursive bool, h hash.Hash, refs []string) (string, error) {
	if recursive && h.Algo == hash.SHA256 {
		return MakeSourcePath(storeDir, name, h.Digest, refs, false)
	}
	if len(refs) > 0 {
		return "", fmt.Errorf("make fixed output path %s: a %s fixed output cannot have references", name, methodAlgo(recursive, h.Algo))
	}
	inner := FixedOutputInner(recursive, h)
	sum := sha256.Sum256([]byte(inner))
	return MakeStorePath(storeDir, "output:out", sum[:], name)
}

// FixedOutputInner is the string "fixed:out:[r:]<algo>:<hex>:" whose
// SHA-256 is the inner digest of a non-source fixed output path.
func FixedOutputInner(recursive bool, h hash.Hash) string {
	return "fixed:out:" + methodAlgo(recursive, h.Algo) + ":" + h.Base16() + ":"
}

func methodAlgo(recursive bool, a hash.Algo) string {
	if recursive {
		return "r:" + a.String()
	}
	return a.String()
}

// OutputPathName is the name of a derivation output's path: drvName for
// "out", else drvName-outputName.
func OutputPathName(drvName, outputName string) string {
	if outputName == "out" {
		return drvName
	}
	return drvName + "-" + outputName
}

// MakeOutputPath is the path of output outputName of an input-addressed
// derivation named drvName whose masked hashDerivationModulo is
// hashModulo (spec/store.md §2.6).
func MakeOutputPath(storeDir, outputName string, hashModulo []byte, drvName string) (string, error) {
	return MakeStorePath(storeDir, "output:"+outputName, hashModulo, OutputPathName(drvName, outputName))
}

// Placeholder is builtins.placeholder: "/" + nixbase32(sha256("nix-output:" + output)).
func Placeholder(output string) string {
	sum := sha256.Sum256([]byte("nix-output:" + output))
	return "/" + nixbase32.EncodeToString(sum[:])
}

// Path is a parsed store path.
type Path struct {
	Dir      string // the store directory
	HashPart string // 32 nixbase32 characters
	Name     string
}

// String returns Dir/HashPart-Name.
func (p Path) String() string { return p.Dir + "/" + p.HashPart + "-" + p.Name }

// Base returns HashPart-Name.
func (p Path) Base() string { return p.HashPart + "-" + p.Name }

// IsDerivation reports whether the name ends in ".drv".
func (p Path) IsDerivation() bool { return strings.HasSuffix(p.Name, ".drv") }

// ParseBaseName splits a base name "<hash>-<name>" with Nix 2.8's rules:
// at least 33 bytes, a hash part of [0-9a-z] without e, o, u, t, a valid
// name after byte 32. Like 2.8 it does not check that byte 32 is '-'.
func ParseBaseName(base string) (hashPart, name string, err error) {
	if len(base) < HashLen+1 {
		return "", "", fmt.Errorf("'%s' is too short to be a valid store path", base)
	}
	for i := 0; i < HashLen; i++ {
		c := base[i]
		if c == 'e' || c == 'o' || c == 'u' || c == 't' || !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return "", "", fmt.Errorf("store path '%s' contains illegal base-32 character '%s'", base, string([]byte{c}))
		}
	}
	hashPart, name = base[:HashLen], base[HashLen+1:]
	if e := checkName(name); e != nil {
		e.Base = base
		return "", "", e
	}
	return hashPart, name, nil
}

// Parse parses a full store path. Like Nix's parseStorePath it first
// canonicalises s (collapsing "//", "." and ".."), then requires its
// directory to be exactly storeDir.
func Parse(storeDir, s string) (Path, error) {
	if !strings.HasPrefix(s, "/") {
		return Path{}, fmt.Errorf("not an absolute path: '%s'", s)
	}
	p := s
	if needsClean(p) {
		p = path.Clean(p)
	}
	i := strings.LastIndexByte(p, '/')
	dir := p[:i]
	if dir == "" {
		dir = "/"
	}
	if dir != storeDir {
		return Path{}, fmt.Errorf("path '%s' is not in the Nix store", p)
	}
	h, n, err := ParseBaseName(p[i+1:])
	if err != nil {
		return Path{}, err
	}
	return Path{Dir: storeDir, HashPart: h, Name: n}, nil
}

// ParsePath is Parse returning the hash part and name.
func ParsePath(storeDir, s string) (hashPart, name string, err error) {
	p, err := Parse(storeDir, s)
	return p.HashPart, p.Name, err
}

// IsStorePath reports whether s parses as a store path in storeDir.
func IsStorePath(storeDir, s string) bool {
	_, err := Parse(storeDir, s)
	return err == nil
}

// IsInStore reports whether s is storeDir or below it (after
// canonicalisation), like Nix's isInStore.
func IsInStore(storeDir, s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	if needsClean(s) {
		s = path.Clean(s)
	}
	return len(s) > len(storeDir)+1 && strings.HasPrefix(s, storeDir) && s[len(storeDir)] == '/'
}

// Split splits a path inside the store into the store path and the rest
// ("/nix/store/h-n/bin/x" -> "/nix/store/h-n", "/bin/x"), validating the
// store path (Nix's toStorePath).
func Split(storeDir, s string) (storePath, rest string, err error) {
	if !IsInStore(storeDir, s) {
		return "", "", fmt.Errorf("path '%s' is not in the Nix store", s)
	}
	if needsClean(s) {
		s = path.Clean(s)
	}
	slash := strings.IndexByte(s[len(storeDir)+1:], '/')
	if slash < 0 {
		storePath = s
	} else {
		storePath, rest = s[:len(storeDir)+1+slash], s[len(storeDir)+1+slash:]
	}
	if _, err := Parse(storeDir, storePath); err != nil {
		return "", "", err
	}
	return storePath, rest, nil
}

// needsClean reports whether an absolute path is not already canonical.
func needsClean(p string) bool {
	if len(p) > 1 && p[len(p)-1] == '/' {
		return true
	}
	return strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
}
