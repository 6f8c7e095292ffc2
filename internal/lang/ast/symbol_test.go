package ast

import (
	"math/rand"
	"strings"
	"testing"
)

// packNameBytes is packName written byte by byte.
func packNameBytes(name string) (k [2]uint64, full bool) {
	n := len(name)
	for i := 0; i < min(n, 15); i++ {
		k[i/8] |= uint64(name[i]) << (8 * (i % 8))
	}
	if n > 15 {
		k[1] |= 0xff << 56
		return k, false
	}
	k[1] |= uint64(n) << 56
	return k, true
}

func TestPackName(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n <= 24; n++ {
		for r := 0; r < 50; r++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Intn(256))
			}
			name := string(b)
			k, full := packName(name)
			wk, wfull := packNameBytes(name)
			if k != wk || full != wfull {
				t.Fatalf("packName(%q) = %x %v, want %x %v", name, k, full, wk, wfull)
			}
		}
	}
}

// TestIntern: names that differ only past the packed bytes, in length,
// or by a zero byte are different symbols, numbered in order of first
// interning, and survive the index growing.
func TestIntern(t *testing.T) {
	syms := NewSymbols()
	var names []string
	for i := 0; i < 5000; i++ {
		names = append(names, strings.Repeat("a", i%20)+string(rune('A'+i%7))+strings.Repeat("\x00", i%3)+strings.Repeat("z", i/140))
	}
	want := map[string]Symbol{}
	for _, name := range names {
		s := syms.Intern(name)
		if w, ok := want[name]; ok {
			if s != w {
				t.Fatalf("Intern(%q) = %d, then %d", name, w, s)
			}
			continue
		}
		if int(s) != len(want) {
			t.Fatalf("Intern(%q) = %d, want the next symbol %d", name, s, len(want))
		}
		want[name] = s
	}
	for name, w := range want {
		if s, ok := syms.Lookup(name); !ok || s != w {
			t.Fatalf("Lookup(%q) = %d %v, want %d", name, s, ok, w)
		}
		if syms.Name(w) != name {
			t.Fatalf("Name(%d) = %q, want %q", w, syms.Name(w), name)
		}
	}
	if _, ok := syms.Lookup("never interned"); ok {
		t.Fatal("Lookup of a new name succeeded")
	}
	if syms.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", syms.Len(), len(want))
	}
}
