package ast

import (
	"hash/maphash"
	"math/bits"
)

// Symbol is an interned name. Its numeric value is the order in which the
// name was first interned; Nix 2.8 keeps attribute sets sorted by symbol
// identity and that order leaks (deep forcing, ==, --parse), so the
// evaluator interns names in the same order Nix does (spec/language.md
// Appendix B) and sorts attributes by Symbol.
type Symbol int32

// NoSymbol marks an absent name (e.g. a lambda without an argument name).
const NoSymbol Symbol = -1

// Symbols interns names. It is owned by one evaluator; it is not safe for
// concurrent use.
//
// The index is an open-addressing hash table of its own rather than a Go
// map: interning is hot (listToAttrs, fromJSON, dynamic attribute names
// intern hundreds of thousands of fresh strings), and a slot that holds
// the hash and the first 15 bytes of its name inline settles most
// lookups with one cache miss, where a map also reads the key's string.
type Symbols struct {
	names []string
	seed  maphash.Seed
	key0  uint64 // hash keys for names of up to 15 bytes (see hash)
	key1  uint64
	slots []symSlot // length a power of two, at most 3/4 full
}

// symSlot is one entry of the index: sym1 is the symbol plus one (0: an
// empty slot), key the packed name (see packName).
type symSlot struct {
	hash uint32
	sym1 uint32
	key  [2]uint64
}

// NewSymbols returns an empty table.
func NewSymbols() *Symbols {
	seed := maphash.MakeSeed()
	return &Symbols{seed: seed, key0: maphash.String(seed, "k0"), key1: maphash.String(seed, "k1"), slots: make([]symSlot, 2048)}
}

// packName packs the first 15 bytes of name and its length (0xff when
// longer than 15 bytes: the name must then be compared in full).
//
// Short names are read with two overlapping loads (bytes in the overlap
// are OR-ed with themselves), so no byte loop runs.
func packName(name string) (k [2]uint64, full bool) {
	n := len(name)
	switch {
	case n >= 8:
		k[0] = le64(name, 0)
		if n > 8 {
			m := min(n, 15)
			k[1] = le64(name, m-8) >> (8 * (16 - m))
		}
	case n >= 4:
		k[0] = uint64(le32(name, 0)) | uint64(le32(name, n-4))<<(8*(n-4))
	case n >= 2:
		k[0] = uint64(le16(name, 0)) | uint64(le16(name, n-2))<<(8*(n-2))
	case n == 1:
		k[0] = uint64(name[0])
	}
	if n > 15 {
		k[1] |= 0xff << 56
		return k, false
	}
	k[1] |= uint64(n) << 56
	return k, true
}

// le64, le32 and le16 read little-endian words at s[i:] (the compiler
// merges the byte reads into one load).
func le64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func le16(s string, i int) uint16 {
	s = s[i : i+2]
	return uint16(s[0]) | uint16(s[1])<<8
}

// hash hashes name. A name of up to 15 bytes is all in its packed form
// k, which one seeded 128-bit multiply mixes (wyhash's core step); a
// longer one goes through maphash.
func (t *Symbols) hash(name string, k [2]uint64, full bool) uint32 {
	if !full {
		return uint32(maphash.String(t.seed, name))
	}
	hi, lo := bits.Mul64(k[0]^t.key0, k[1]^t.key1)
	return uint32(hi ^ lo)
}

// find returns the slot index holding name, or the empty slot where it
// would go.
func (t *Symbols) find(name string, h uint32, k [2]uint64, full bool) int {
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.sym1 == 0 {
			return i
		}
		if s.hash == h && s.key == k && (full || t.names[s.sym1-1] == name) {
			return i
		}
	}
}

// Intern returns the symbol of name, creating it if needed.
func (t *Symbols) Intern(name string) Symbol {
	k, full := packName(name)
	h := t.hash(name, k, full)
	i := t.find(name, h, k, full)
	if s := t.slots[i].sym1; s != 0 {
		return Symbol(s - 1)
	}
	sym := Symbol(len(t.names))
	t.names = append(t.names, name)
	t.slots[i] = symSlot{hash: h, sym1: uint32(sym) + 1, key: k}
	if 4*len(t.names) > 3*len(t.slots) {
		t.grow()
	}
	return sym
}

// grow doubles the index (hashes are kept, names are not read again).
func (t *Symbols) grow() {
	old := t.slots
	t.slots = make([]symSlot, 2*len(old))
	mask := len(t.slots) - 1
	for _, s := range old {
		if s.sym1 == 0 {
			continue
		}
		i := int(s.hash) & mask
		for t.slots[i].sym1 != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// Lookup returns the symbol of name if it was interned.
func (t *Symbols) Lookup(name string) (Symbol, bool) {
	k, full := packName(name)
	h := t.hash(name, k, full)
	if s := t.slots[t.find(name, h, k, full)].sym1; s != 0 {
		return Symbol(s - 1), true
	}
	return 0, false
}

// Name returns the text of s.
func (t *Symbols) Name(s Symbol) string {
	if s < 0 || int(s) >= len(t.names) {
		return ""
	}
	return t.names[s]
}

// Reset empties the table, keeping its memory.
func (t *Symbols) Reset() {
	clear(t.names)
	t.names = t.names[:0]
	clear(t.slots)
}

// Len is the number of interned names.
func (t *Symbols) Len() int { return len(t.names) }
