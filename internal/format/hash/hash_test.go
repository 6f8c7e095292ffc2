package hash

import (
	"bufio"
	"bytes"
	"gonix/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func vectorsDir(t testing.TB) string {
	t.Helper()
	return testutil.SpecVectors(t)
}

type vector struct {
	algo                        Algo
	input                       string
	base16, base32, base64, sri string
}

// readVectors parses the "algo(\"input\")" blocks of vectors/hashes.txt.
func readVectors(t *testing.T) []vector {
	f, err := os.Open(filepath.Join(vectorsDir(t), "hashes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, arg, ok := strings.Cut(line, "(\""); ok && strings.HasSuffix(arg, "\")") {
			a, err := ParseAlgo(name)
			if err != nil {
				t.Fatalf("hashes.txt: %v", err)
			}
			vs = append(vs, vector{algo: a, input: strings.TrimSuffix(arg, "\")")})
			continue
		}
		if len(vs) == 0 {
			continue
		}
		v := &vs[len(vs)-1]
		key, val, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "base16":
			v.base16 = val
		case "base32":
			v.base32 = val
		case "base64":
			v.base64 = val
		case "SRI":
			v.sri = val
		}
	}
	if len(vs) != 8 {
		t.Fatalf("found %d hash vectors in hashes.txt, want 8", len(vs))
	}
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range readVectors(t) {
		h := Sum(v.algo, []byte(v.input))
		name := v.algo.String() + "(" + v.input + ")"
		if h.Base16() != v.base16 || h.Base32() != v.base32 || h.Base64() != v.base64 || h.SRI() != v.sri {
			t.Errorf("%s: got %s %s %s %s, want %s %s %s %s", name,
				h.Base16(), h.Base32(), h.Base64(), h.SRI(), v.base16, v.base32, v.base64, v.sri)
		}
		if got, want := h.String(), v.algo.String()+":"+v.base32; got != want {
			t.Errorf("%s: String() = %s, want %s", name, got, want)
		}
		if got, want := h.Encode(Base16, true), v.algo.String()+":"+v.base16; got != want {
			t.Errorf("%s: Encode(Base16, true) = %s, want %s", name, got, want)
		}
		// Every textual form parses back, with and without the algorithm from context.
		forms := []string{
			v.base16, strings.ToUpper(v.base16), v.base32, v.base64, v.sri,
			v.algo.String() + ":" + v.base16, v.algo.String() + ":" + v.base32, v.algo.String() + ":" + v.base64,
		}
		for _, s := range forms {
			for _, ctx := range []Algo{v.algo, 0} {
				got, err := Parse(s, ctx)
				prefixed := strings.Contains(s, ":") || strings.Contains(s, "-")
				if ctx == 0 && !prefixed {
					if err == nil {
						t.Errorf("Parse(%q, 0) succeeded without a type", s)
					}
					continue
				}
				if err != nil || !got.Equal(h) {
					t.Errorf("Parse(%q, %v) = %v, %v; want %v", s, ctx, got, err, h)
				}
			}
		}
		if got, err := ParseNonSRIUnprefixed(v.base32, v.algo); err != nil || !got.Equal(h) {
			t.Errorf("ParseNonSRIUnprefixed(%q) = %v, %v", v.base32, got, err)
		}
		if got, err := ParseSRI(v.sri); err != nil || !got.Equal(h) {
			t.Errorf("ParseSRI(%q) = %v, %v", v.sri, got, err)
		}
		if got, err := ParsePrefixed(v.sri); err != nil || !got.Equal(h) {
			t.Errorf("ParsePrefixed(%q) = %v, %v", v.sri, got, err)
		}
		w := v.algo.New()
		w.Write([]byte(v.input))
		if !bytes.Equal(w.Sum(nil), h.Digest) || w.Size() != v.algo.Size() {
			t.Errorf("%s: New() disagrees with Sum", name)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const sha256abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	for _, c := range []struct {
		s    string
		algo Algo
		want string
	}{
		{"sha3:abc", 0, "unknown hash algorithm 'sha3'"},
		{"blake-abc", 0, "unknown hash algorithm 'blake'"},
		{sha256abc, 0, "hash '" + sha256abc + "' does not include a type, nor is the type otherwise known from context"},
		{"sha256:" + sha256abc, SHA1, "hash 'sha256:" + sha256abc + "' should have type 'sha1'"},
		{"sha256:abc", 0, "hash 'abc' has wrong length for hash type 'sha256'"},
		{"abc", MD5, "hash 'abc' has wrong length for hash type 'md5'"},
		{strings.Repeat("g", 64), SHA256, "invalid base-16 hash '" + strings.Repeat("g", 64) + "'"},
		{strings.Repeat("e", 52), SHA256, "invalid base-32 hash '" + strings.Repeat("e", 52) + "'"},
		{"z" + strings.Repeat("0", 51), SHA256, "invalid base-32 hash 'z" + strings.Repeat("0", 51) + "'"},
		{"sha256-AAAA", 0, "invalid SRI hash 'AAAA'"},
		{"sha256-AA!A", 0, "invalid character in Base64 string: '!'"},
		{strings.Repeat("A", 43) + "=" /* 44 chars */, SHA256, ""},
		{strings.Repeat("A", 40) + "====", SHA256, "invalid base-64 hash '" + strings.Repeat("A", 40) + "===='"},
		{"", 0, "hash '' does not include a type, nor is the type otherwise known from context"},
	} {
		_, err := Parse(c.s, c.algo)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("Parse(%q, %v): error %q, want %q", c.s, c.algo, got, c.want)
		}
	}
	if _, err := ParsePrefixed(sha256abc); err == nil || err.Error() != "hash '"+sha256abc+"' does not include a type" {
		t.Errorf("ParsePrefixed(bare) error = %v", err)
	}
	if _, err := ParseSRI("sha256:" + sha256abc); err == nil || !strings.Contains(err.Error(), "is not SRI") {
		t.Errorf("ParseSRI(prefixed) error = %v", err)
	}
}

func TestParseAllowEmpty(t *testing.T) {
	h, err := ParseAllowEmpty("", SHA256)
	if err != nil || h.SRI() != "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" {
		t.Errorf("ParseAllowEmpty(\"\", sha256) = %v, %v", h.SRI(), err)
	}
	if _, err := ParseAllowEmpty("", 0); err == nil || err.Error() != "empty hash requires explicit hash type" {
		t.Errorf("ParseAllowEmpty(\"\", 0) error = %v", err)
	}
}

func TestBase64Leniency(t *testing.T) {
	// Nix 2.8 ignores newlines, stops at the first '=' and needs no padding.
	want, _ := Parse("sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", 0)
	for _, s := range []string{
		"sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0",
		"sha256-ungWv48Bz+pBQUDe\nXa4iI7ADYaOWF3qctBD/YfIAFa0=",
		"sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=trailing junk",
	} {
		got, err := Parse(s, 0)
		if err != nil || !got.Equal(want) {
			t.Errorf("Parse(%q) = %v, %v", s, got, err)
		}
	}
}

func TestCompressHash(t *testing.T) {
	// Worked example of spec/store.md §1.6.
	in := mustHex(t, "d2cb7af9d7cc1c0f59f1e0ecf5ec6fd935385b480061d017c132143d8ce6467e")
	want := mustHex(t, "d2aaaaee16fe0832d517a692f5ec6fd935385b48")
	if got := CompressHash(in, 20); !bytes.Equal(got, want) {
		t.Errorf("CompressHash = %x, want %x", got, want)
	}
}

func TestAlgo(t *testing.T) {
	for _, c := range []struct {
		a                 Algo
		name              string
		size, b32, b64len int
	}{{MD5, "md5", 16, 26, 24}, {SHA1, "sha1", 20, 32, 28}, {SHA256, "sha256", 32, 52, 44}, {SHA512, "sha512", 64, 103, 88}} {
		if c.a.String() != c.name || c.a.Size() != c.size || c.a.Base32Len() != c.b32 || c.a.Base64Len() != c.b64len || c.a.Base16Len() != 2*c.size {
			t.Errorf("%v: wrong properties", c.name)
		}
		if a, err := ParseAlgo(c.name); err != nil || a != c.a {
			t.Errorf("ParseAlgo(%q) = %v, %v", c.name, a, err)
		}
	}
	if _, err := ParseAlgo("SHA256"); err == nil || err.Error() != "unknown hash algorithm 'SHA256'" {
		t.Errorf("ParseAlgo(SHA256) error = %v", err)
	}
	if Algo(0).New() != nil || Algo(9).String() != "" {
		t.Error("invalid Algo must have no name and no hasher")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	h, err := ParseNonSRIUnprefixed(s, SHA256)
	if err == nil {
		return h.Digest
	}
	h, err = ParseNonSRIUnprefixed(s, SHA1)
	if err != nil {
		t.Fatal(err)
	}
	return h.Digest
}

func FuzzParse(f *testing.F) {
	f.Add("sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s", uint8(0))
	f.Add("sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", uint8(3))
	f.Add("900150983cd24fb0d6963f7d28e17f72", uint8(1))
	f.Fuzz(func(t *testing.T, s string, a uint8) {
		h, err := Parse(s, Algo(a%5))
		if err != nil {
			return
		}
		if len(h.Digest) != h.Algo.Size() {
			t.Fatalf("Parse(%q) gave a %d-byte digest for %v", s, len(h.Digest), h.Algo)
		}
		for _, form := range []string{h.String(), h.SRI(), h.Encode(Base16, true), h.Encode(Base64, true)} {
			back, err := Parse(form, 0)
			if err != nil || !back.Equal(h) {
				t.Fatalf("%q re-parsed as %v, %v", form, back, err)
			}
		}
	})
}
