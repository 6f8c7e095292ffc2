package build

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
)

// hashPart makes a deterministic 32-character hash part.
func hashPart(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return nixbase32.EncodeToString(sum[:20])
}

// naiveFound is the specification: which hashes occur as substrings.
func naiveFound(data []byte, hashes []string) []string {
	var out []string
	for _, h := range hashes {
		if bytes.Contains(data, []byte(h)) {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// scanChunked feeds data to a scanner in chunks of the given sizes
// (cycling).
func scanChunked(data []byte, hashes []string, sizes []int) []string {
	sc := NewRefScanner(hashes)
	for i, k := 0, 0; i < len(data); k++ {
		n := min(sizes[k%len(sizes)], len(data)-i)
		sc.Write(data[i : i+n])
		i += n
	}
	return sc.Found()
}

func TestRefScannerChunkBoundaries(t *testing.T) {
	h1, h2, h3 := hashPart("a"), hashPart("b"), hashPart("c")
	hashes := []string{h1, h2, h3}
	// h1 in text, h2 inside a longer run of base-32 characters (no
	// alignment, no look at the surroundings), h3 absent.
	data := []byte("xx/nix/store/" + h1 + "-foo\n0000" + h2 + "aaaa\x00end")
	want := []string{h1, h2}
	slices.Sort(want)
	for size := 1; size <= 70; size++ {
		if got := scanChunked(data, hashes, []int{size}); !slices.Equal(got, want) {
			t.Errorf("chunk size %d: found %v, want %v", size, got, want)
		}
	}
	// Every split point, with irregular chunk sizes after it.
	for split := 0; split <= len(data); split++ {
		if got := scanChunked(data, hashes, []int{split + 1, 3, 1, 7}); !slices.Equal(got, want) {
			t.Errorf("split %d: found %v, want %v", split, got, want)
		}
	}
	if got := scanChunked(data, []string{h3}, []int{5}); len(got) != 0 {
		t.Errorf("found %v, want nothing", got)
	}
}

func TestRefScannerRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var hashes []string
	for i := range 20 {
		hashes = append(hashes, hashPart(string(rune('A'+i))))
	}
	alpha := nixbase32.Alphabet + "-/._\n"
	for trial := range 300 {
		var b []byte
		for len(b) < 400 {
			if r.IntN(8) == 0 {
				h := hashes[r.IntN(len(hashes))]
				// Sometimes only part of a hash: no false positives.
				if r.IntN(3) == 0 {
					h = h[:r.IntN(32)]
				}
				b = append(b, h...)
			} else {
				b = append(b, alpha[r.IntN(len(alpha))])
			}
		}
		sizes := []int{1 + r.IntN(50), 1 + r.IntN(5), 1 + r.IntN(100)}
		want := naiveFound(b, hashes)
		if got := scanChunked(b, hashes, sizes); !slices.Equal(got, want) {
			t.Fatalf("trial %d (sizes %v): found %v, want %v\ndata %q", trial, sizes, got, want, b)
		}
	}
}

func TestScanPath(t *testing.T) {
	storeDir := "/nix/store"
	self := storeDir + "/" + hashPart("self") + "-out"
	inContents := storeDir + "/" + hashPart("contents") + "-dep"
	inName := storeDir + "/" + hashPart("name") + "-dep2"
	inLink := storeDir + "/" + hashPart("link") + "-dep3"
	unused := storeDir + "/" + hashPart("unused") + "-dep4"

	dir := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	// A reference in file contents, big enough to cross the dumper's
	// buffers, only the hash part and no name.
	big := strings.Repeat("x", 300<<10) + hashPart("contents") + strings.Repeat("y", 1000)
	os.WriteFile(filepath.Join(dir, "sub", "big"), []byte(big), 0o644)
	// A hash part inside a file name.
	os.WriteFile(filepath.Join(dir, "sub", "file-"+hashPart("name")), nil, 0o644)
	// Inside a symlink target.
	os.Symlink("../../"+hashPart("link")+"-whatever/bin", filepath.Join(dir, "l"))
	// A self-reference.
	os.WriteFile(filepath.Join(dir, "self"), []byte("#!"+self+"/bin/sh\n"), 0o755)

	res, err := ScanPath(dir, storeDir, []string{self, inContents, inName, inLink, unused})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{self, inContents, inName, inLink}
	slices.Sort(want)
	if diff := cmp.Diff(want, res.References); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	sum, size, err := nar.HashPath(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sum, res.NarHash.Digest) || uint64(size) != res.NarSize {
		t.Errorf("NAR hash/size %x/%d, want %x/%d", res.NarHash.Digest, res.NarSize, sum, size)
	}
}

func TestRewriterAndHashModulo(t *testing.T) {
	from, to := hashPart("old"), hashPart("new")
	data := []byte("a" + from + "b" + from + from + "c")
	for size := 1; size <= len(data); size++ {
		var out bytes.Buffer
		rw := newRewriter(from, to, &out)
		for i := 0; i < len(data); i += size {
			rw.Write(data[i:min(i+size, len(data))])
		}
		rw.Flush()
		want := strings.ReplaceAll(string(data), from, to)
		if out.String() != want {
			t.Fatalf("size %d: %q, want %q", size, out.String(), want)
		}
		if diff := cmp.Diff([]int64{1, 34, 66}, rw.matches); diff != "" {
			t.Fatalf("size %d: match offsets (-want +got):\n%s", size, diff)
		}
	}
	// The modulo hash: occurrences zeroed, then "|offset" for each.
	hm := newHashModulo(hash.SHA256, from)
	hm.Write(data)
	got, self, _ := hm.finish()
	zeroed := strings.ReplaceAll(string(data), from, strings.Repeat("\x00", 32)) + "|1|34|66"
	want := sha256.Sum256([]byte(zeroed))
	if !self || !bytes.Equal(got, want[:]) {
		t.Errorf("hashModulo = %x (self %v), want %x", got, self, want)
	}
}

func BenchmarkRefScanner(b *testing.B) {
	var hashes []string
	for i := range 1000 {
		hashes = append(hashes, hashPart(string(rune(i))))
	}
	data := bytes.Repeat([]byte("some ordinary text with /nix/store paths and numbers 12345 "), 1<<14)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sc := NewRefScanner(hashes)
		sc.Write(data)
	}
}
