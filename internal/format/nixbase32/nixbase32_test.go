package nixbase32

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"gonix/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorsDir returns the shared spec vectors directory, skipping the test
// when it is absent outside CI.
func vectorsDir(t testing.TB) string {
	t.Helper()
	return testutil.SpecVectors(t)
}

func TestProbes(t *testing.T) {
	// Bit-order probes of spec/store.md §1.3, also in vectors/hashes.txt.
	dir := vectorsDir(t)
	f, err := os.Open(filepath.Join(dir, "hashes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	var pendingHex string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if hx, b32, ok := strings.Cut(line, " -> "); ok {
			check(t, hx, b32)
			n++
			continue
		}
		if v, ok := strings.CutPrefix(line, "base16: "); ok {
			pendingHex = v
			continue
		}
		if v, ok := strings.CutPrefix(line, "base32: "); ok && pendingHex != "" {
			check(t, pendingHex, v)
			pendingHex = ""
			n++
		}
	}
	if n < 14 {
		t.Fatalf("only %d vectors found in hashes.txt", n)
	}
}

func check(t *testing.T, hx, b32 string) {
	t.Helper()
	raw, err := hex.DecodeString(hx)
	if err != nil {
		t.Fatalf("bad hex %q: %v", hx, err)
	}
	if got := EncodeToString(raw); got != b32 {
		t.Errorf("EncodeToString(%s) = %s, want %s", hx, got, b32)
	}
	if got := EncodedLen(len(raw)); got != len(b32) {
		t.Errorf("EncodedLen(%d) = %d, want %d", len(raw), got, len(b32))
	}
	if got := DecodedLen(len(b32)); got != len(raw) {
		t.Errorf("DecodedLen(%d) = %d, want %d", len(b32), got, len(raw))
	}
	dec, err := DecodeString(b32)
	if err != nil || !bytes.Equal(dec, raw) {
		t.Errorf("DecodeString(%s) = %x, %v; want %s", b32, dec, err, hx)
	}
}

func TestLengths(t *testing.T) {
	for _, c := range []struct{ n, l int }{{0, 0}, {1, 2}, {16, 26}, {20, 32}, {32, 52}, {64, 103}} {
		if got := EncodedLen(c.n); got != c.l {
			t.Errorf("EncodedLen(%d) = %d, want %d", c.n, got, c.l)
		}
		if got := DecodedLen(c.l); got != c.n {
			t.Errorf("DecodedLen(%d) = %d, want %d", c.l, got, c.n)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	z52 := strings.Repeat("0", 51)
	for _, s := range []string{
		"0000000000000000000000000000000e", // 'e' is not in the alphabet
		"000000000000000000000000000000O0", // upper case
		"000",                              // 3 chars: not an encoded length
		"1",                                // 1 char encodes nothing
		"2" + z52,                          // 32 bytes use 256 of 260 bits: the first digit is at most 1
		"z" + z52,
	} {
		if b, err := DecodeString(s); err == nil {
			t.Errorf("DecodeString(%q) = %x, want error", s, b)
		}
	}
	// 20 bytes use all 160 bits of 32 digits: any first digit is fine.
	if _, err := DecodeString("z0000000000000000000000000000000"); err != nil {
		t.Errorf("DecodeString(z000…): %v", err)
	}
	if _, err := DecodeString("1" + z52); err != nil {
		t.Errorf("DecodeString(1000…): %v", err)
	}
}

func TestRoundTripAllLengths(t *testing.T) {
	for n := 0; n < 100; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		s := EncodeToString(b)
		if len(s) != EncodedLen(n) {
			t.Fatalf("len %d: encoded length %d", n, len(s))
		}
		got, err := DecodeString(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("len %d: round trip %q -> %x, %v", n, s, got, err)
		}
		if app := AppendEncode([]byte("x:"), b); string(app) != "x:"+s {
			t.Fatalf("AppendEncode = %q", app)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{}, "")
	f.Add([]byte("\x00\x01\x02"), "2c91240g1q6hq2qa1440f1h50h1h4080")
	f.Add(bytes.Repeat([]byte{0xff}, 32), "zzzz")
	f.Fuzz(func(t *testing.T, b []byte, s string) {
		enc := EncodeToString(b)
		dec, err := DecodeString(enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("round trip of %x: %q -> %x, %v", b, enc, dec, err)
		}
		// Any accepted string is canonical: re-encoding gives it back.
		if d, err := DecodeString(s); err == nil {
			if re := EncodeToString(d); re != s {
				t.Fatalf("DecodeString(%q) accepted a non-canonical string (re-encodes as %q)", s, re)
			}
		}
	})
}

func BenchmarkEncode32(b *testing.B) {
	src := bytes.Repeat([]byte{0xa5}, 32)
	dst := make([]byte, EncodedLen(32))
	for b.Loop() {
		Encode(dst, src)
	}
}

func BenchmarkDecode32(b *testing.B) {
	s := EncodeToString(bytes.Repeat([]byte{0xa5}, 32))
	dst := make([]byte, 32)
	for b.Loop() {
		if err := decode(dst, s); err != nil {
			b.Fatal(err)
		}
	}
}
