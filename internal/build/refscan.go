package build

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strconv"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
	"gonix/internal/format/storepath"
)

// refLen is the length of a store path's hash part, the unit the scanner
// looks for.
const refLen = storepath.HashLen

// isBase32 marks the bytes of Nix's base-32 alphabet.
var isBase32 = func() (t [256]bool) {
	for i := 0; i < len(nixbase32.Alphabet); i++ {
		t[nixbase32.Alphabet[i]] = true
	}
	return t
}()

// RefScanner is an io.Writer that finds which of a set of hash parts occur
// in the bytes written to it: Nix 2.8's RefScanSink (references.cc), a plain
// substring search with no alignment and no look at what surrounds a match
// (spec/store.md §10.6 step 4). It skips ahead over any byte outside the
// nixbase32 alphabet, so ordinary text is scanned at a fraction of a map
// lookup per byte, and it keeps the last 32 bytes of each write so that a
// hash split between two writes is still found.
type RefScanner struct {
	want    map[string]struct{} // hash parts not found yet
	found   map[string]struct{}
	tailBuf [refLen]byte
	tail    []byte // the last (up to) 32 bytes written, in tailBuf
	joint   [2 * refLen]byte
}

// NewRefScanner returns a scanner for the given hash parts (strings of 32
// nixbase32 characters; others can never match and are ignored).
func NewRefScanner(hashParts []string) *RefScanner {
	r := &RefScanner{
		want:  make(map[string]struct{}, len(hashParts)),
		found: make(map[string]struct{}),
	}
	for _, h := range hashParts {
		if len(h) == refLen {
			r.want[h] = struct{}{}
		}
	}
	r.tail = r.tailBuf[:0]
	return r
}

// Write scans p; it never fails.
func (r *RefScanner) Write(p []byte) (int, error) {
	if len(p) == 0 || len(r.want) == 0 {
		// Nothing left to find: the tail no longer matters either.
		return len(p), nil
	}
	head := min(len(p), refLen)
	// A hash spanning the previous write and this one lies in the tail
	// followed by the first 32 bytes of p.
	if len(r.tail) > 0 {
		j := append(r.joint[:0], r.tail...)
		j = append(j, p[:head]...)
		r.search(j)
	}
	r.search(p)
	keep := min(len(r.tail), refLen-head)
	copy(r.tailBuf[:keep], r.tail[len(r.tail)-keep:])
	copy(r.tailBuf[keep:], p[len(p)-head:])
	r.tail = r.tailBuf[:keep+head]
	return len(p), nil
}

// search looks at every window of 32 bytes of s, checking each from its
// end: a byte outside the alphabet at offset j rules out every window
// starting at or before it, so the next candidate starts just after it.
func (r *RefScanner) search(s []byte) {
	for i := 0; i+refLen <= len(s); {
		j := refLen - 1
		for ; j >= 0; j-- {
			if !isBase32[s[i+j]] {
				break
			}
		}
		if j >= 0 {
			i += j + 1
			continue
		}
		w := s[i : i+refLen]
		if _, ok := r.want[string(w)]; ok {
			h := string(w)
			delete(r.want, h)
			r.found[h] = struct{}{}
			if len(r.want) == 0 {
				return
			}
		}
		i++
	}
}

// Found returns the hash parts seen so far, sorted.
func (r *RefScanner) Found() []string {
	out := make([]string, 0, len(r.found))
	for h := range r.found {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// countingHash is a SHA-256 that also counts what it hashed: narHash and
// narSize in one pass.
type countingHash struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n uint64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += uint64(len(p))
	return c.h.Write(p)
}

// ScanResult is what one pass over an output's NAR serialisation gives.
type ScanResult struct {
	// References are the candidate store paths whose hash part occurs,
	// sorted.
	References []string
	NarHash    hash.Hash // SHA-256 of the NAR
	NarSize    uint64
}

// ScanPath serialises the file system object at realPath as a NAR and
// returns which of candidates (logical store paths) it refers to, with the
// NAR's SHA-256 and size (Nix's scanForReferences followed by hashPath,
// done in a single pass).
func ScanPath(realPath, storeDir string, candidates []string) (*ScanResult, error) {
	byHash := make(map[string]string, len(candidates))
	parts := make([]string, 0, len(candidates))
	for _, c := range candidates {
		h, _, err := storepath.ParsePath(storeDir, c)
		if err != nil {
			return nil, fmt.Errorf("scanning '%s' for references: %w", realPath, err)
		}
		if prev, dup := byHash[h]; dup && prev != c {
			return nil, fmt.Errorf("scanning '%s' for references: '%s' and '%s' have the same hash part", realPath, prev, c)
		}
		byHash[h] = c
		parts = append(parts, h)
	}
	sc := NewRefScanner(parts)
	ch := &countingHash{h: sha256.New()}
	if err := nar.Dump(io.MultiWriter(sc, ch), realPath, nil); err != nil {
		return nil, fmt.Errorf("scanning '%s' for references: %w", realPath, err)
	}
	res := &ScanResult{NarSize: ch.n}
	res.NarHash = hash.Hash{Algo: hash.SHA256, Digest: ch.h.Sum(nil)}
	for _, h := range sc.Found() {
		res.References = append(res.References, byHash[h])
	}
	slices.Sort(res.References)
	return res, nil
}

// rewriter is Nix's RewritingSink: it replaces every occurrence of from
// by to (same length) in the stream it forwards, remembering the offsets
// of the matches (in the stream, which has the same length either side).
type rewriter struct {
	from, to []byte
	next     io.Writer
	prev     []byte // the last len(from)-1 bytes, not yet forwarded
	pos      int64  // bytes forwarded so far
	matches  []int64
}

func newRewriter(from, to string, next io.Writer) *rewriter {
	return &rewriter{from: []byte(from), to: []byte(to), next: next}
}

func (w *rewriter) Write(p []byte) (int, error) {
	s := append(w.prev, p...)
	for j := 0; ; {
		k := bytes.Index(s[j:], w.from)
		if k < 0 {
			break
		}
		j += k
		w.matches = append(w.matches, w.pos+int64(j))
		copy(s[j:], w.to)
		j += len(w.from)
	}
	keep := min(len(s), len(w.from)-1)
	out := s[:len(s)-keep]
	w.prev = append([]byte(nil), s[len(s)-keep:]...)
	w.pos += int64(len(out))
	if len(out) > 0 {
		if _, err := w.next.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush forwards what is held back.
func (w *rewriter) Flush() error {
	if len(w.prev) == 0 {
		return nil
	}
	w.pos += int64(len(w.prev))
	_, err := w.next.Write(w.prev)
	w.prev = nil
	return err
}

// hashModulo is Nix's HashModuloSink: the hash of a stream in which every
// occurrence of modulus (a hash part) is replaced by NUL bytes, followed by
// "|<offset>" for each occurrence. It is how the content hash of a
// content-addressed output is computed, so that a self-reference does not
// change it (spec/store.md §3.9).
type hashModulo struct {
	h  interface{ Sum([]byte) []byte }
	rw *rewriter
}

func newHashModulo(a hash.Algo, modulus string) *hashModulo {
	h := a.New()
	return &hashModulo{h: h, rw: newRewriter(modulus, string(make([]byte, len(modulus))), h)}
}

func (m *hashModulo) Write(p []byte) (int, error) { return m.rw.Write(p) }

// finish returns the digest and whether any occurrence was found.
func (m *hashModulo) finish() ([]byte, bool, error) {
	if err := m.rw.Flush(); err != nil {
		return nil, false, err
	}
	for _, pos := range m.rw.matches {
		if _, err := m.rw.next.Write([]byte("|" + strconv.FormatInt(pos, 10))); err != nil {
			return nil, false, err
		}
	}
	return m.h.Sum(nil), len(m.rw.matches) > 0, nil
}
