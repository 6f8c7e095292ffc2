package export

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/format/wire"
	"gonix/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the spec vectors")

const sd = storepath.DefaultStoreDir

// bytesEqual keeps cmp from comparing large NARs byte by byte by reflection.
var bytesEqual = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

// item is one path of a parsed stream, with its NAR.
type item struct {
	Entry
	NAR []byte `json:"-"`
	// NarHash and NarSize stand for the NAR in golden files.
	NarHash string
	NarSize int64
}

// readAll parses a whole stream, consuming each NAR through its reader.
func readAll(t testing.TB, in []byte) ([]item, error) {
	r := NewReader(bytes.NewReader(in), sd)
	var out []item
	for {
		nr, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(nr)
		if err != nil {
			return out, err
		}
		e, err := r.Entry()
		if err != nil {
			return out, err
		}
		if r.NarSize() != int64(len(b)) {
			t.Errorf("NarSize = %d, read %d bytes", r.NarSize(), len(b))
		}
		sum := sha256.Sum256(b)
		out = append(out, item{Entry: *e, NAR: b, NarHash: hex.EncodeToString(sum[:]), NarSize: int64(len(b))})
	}
}

func writeAll(t testing.TB, items []item) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, sd)
	for _, it := range items {
		if err := w.WritePath(it.Entry, bytes.NewReader(it.NAR)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestVectors parses every stream Nix 2.8 wrote in spec/vectors/export,
// compares the result with testdata/vectors.json and writes it back
// byte-identically.
func TestVectors(t *testing.T) {
	dir := filepath.Join(testutil.SpecVectors(t), "export")
	files, err := filepath.Glob(filepath.Join(dir, "*.export"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in %s: %v", dir, err)
	}
	got := map[string][]item{}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		items, err := readAll(t, in)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got[filepath.Base(f)] = items
		if out := writeAll(t, items); !bytes.Equal(out, in) {
			t.Errorf("%s: rewritten stream differs:\n got %x\nwant %x", f, out, in)
		}
	}
	golden := filepath.Join("testdata", "vectors.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(b, '\n'), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]item
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".NAR"
	}, cmp.Ignore())); d != "" {
		t.Errorf("parsed vectors differ from %s (-want +got):\n%s", golden, d)
	}
	// The NAR of tiny.export is the one of spec/vectors/nar/tiny.nar.
	tiny, err := os.ReadFile(filepath.Join(dir, "..", "nar", "tiny.nar"))
	if err != nil {
		t.Fatal(err)
	}
	if its := got["tiny.export"]; len(its) != 1 || !bytes.Equal(its[0].NAR, tiny) {
		t.Errorf("tiny.export does not carry nar/tiny.nar")
	}
}

// narOf returns the NAR of a regular file with contents s.
func narOf(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := nar.DumpBytes(&b, []byte(s), false); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	pA   = "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain"
	pB   = "/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny"
	pDrv = "/nix/store/v17r5l1xbgiqdravaj0dra2js09d47h6-plain.drv"
)

func TestRoundTrip(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 10000) // several chunks
	items := []item{
		{Entry: Entry{Path: pA, Deriver: pDrv}, NAR: narOf(t, "hello\n")},
		{Entry: Entry{Path: pB, References: []string{pA, pB}}, NAR: narOf(t, big)},
		{Entry: Entry{Path: pDrv}, NAR: narOf(t, "")},
	}
	out := writeAll(t, items)
	got, err := readAll(t, out)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(items, got, cmp.FilterPath(func(p cmp.Path) bool {
		s := p.Last().String()
		return s == ".NarHash" || s == ".NarSize"
	}, cmp.Ignore()), bytesEqual); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	// Skipping NARs (Next without reading, Next without Entry) lands on
	// the same entries.
	r := NewReader(bytes.NewReader(out), sd)
	var paths []string
	for i := 0; ; i++ {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			continue // Next skips the rest of this path
		}
		e, err := r.Entry()
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, e.Path)
	}
	if d := cmp.Diff([]string{pA, pDrv}, paths); d != "" {
		t.Errorf("skipping (-want +got):\n%s", d)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
}

// TestExactConsumption checks that a *bufio.Reader is read up to the
// final marker and not beyond, as the serve protocol needs.
func TestExactConsumption(t *testing.T) {
	stream := writeAll(t, []item{{Entry: Entry{Path: pA}, NAR: narOf(t, "x")}})
	br := bufio.NewReader(io.MultiReader(bytes.NewReader(stream), strings.NewReader("NEXT")))
	if _, err := readAllFrom(NewReader(br, sd)); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "NEXT" {
		t.Errorf("after the stream: %q, want NEXT", rest)
	}
}

func readAllFrom(r *Reader) (n int, err error) {
	for {
		if _, err := r.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		if _, err := r.Entry(); err != nil {
			return n, err
		}
		n++
	}
}

// normalising: Nix reads references as a set and paths canonically.
func TestNormalise(t *testing.T) {
	var b []byte
	b = wire.AppendUint64(b, 1)
	b = append(b, narOf(t, "x")...)
	b = wire.AppendUint64(b, Magic)
	b = wire.AppendString(b, "/nix//store/./"+pA[len("/nix/store/"):])
	b = wire.AppendStrings(b, []string{pB, pA, pB})
	b = wire.AppendString(b, "")
	b = wire.AppendUint64(b, 1)
	b = wire.AppendString(b, "legacy signature, ignored")
	b = wire.AppendUint64(b, 0)
	items, err := readAll(t, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{Path: pA, References: []string{pA, pB}}
	if d := cmp.Diff(want, items[0].Entry); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// stream builds an export stream of one path with the given parts.
type stream struct {
	marker  uint64
	nar     []byte
	magic   uint64
	path    string
	refs    []string
	deriver string
	flag    uint64
	end     bool
}

func (s stream) bytes() []byte {
	var b []byte
	b = wire.AppendUint64(b, s.marker)
	b = append(b, s.nar...)
	b = wire.AppendUint64(b, s.magic)
	b = wire.AppendString(b, s.path)
	b = wire.AppendStrings(b, s.refs)
	b = wire.AppendString(b, s.deriver)
	b = wire.AppendUint64(b, s.flag)
	if s.end {
		b = wire.AppendUint64(b, 0)
	}
	return b
}

func TestReadErrors(t *testing.T) {
	good := stream{marker: 1, nar: narOf(t, "x"), magic: Magic, path: pA, refs: []string{pB}, deriver: pDrv, end: true}
	goodBytes := good.bytes()
	mod := func(f func(*stream)) []byte { s := good; f(&s); return s.bytes() }
	badNar := append([]byte(nil), good.nar...)
	badNar[len(badNar)-1] = 'x' // the padding of the closing ")"
	tests := []struct {
		name string
		in   []byte
		msg  string
		eof  bool // a truncated stream
	}{
		{"empty", nil, "export: entry 1: marker: unexpected end of input", true},
		{"marker", mod(func(s *stream) { s.marker = 2 }), "export: entry 1: input doesn't look like something created by 'nix-store --export'", false},
		{"not a nar", mod(func(s *stream) { s.nar = wire.AppendString(nil, "nix-archive-2") }), "export: entry 1: NAR: bad archive: input doesn't look like a Nix archive", false},
		{"nar padding", mod(func(s *stream) { s.nar = badNar }), "export: entry 1: NAR: non-zero padding", false},
		{"magic", mod(func(s *stream) { s.magic = 0x4558494f }), "export: entry 1: Nix archive cannot be imported; wrong format", false},
		{"magic 64", mod(func(s *stream) { s.magic = 1<<32 | Magic }), "wrong format", false},
		{"path", mod(func(s *stream) { s.path = "/tmp/x" }), "export: entry 1: path '/tmp/x' is not in the Nix store", false},
		{"path name", mod(func(s *stream) { s.path = "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-a b" }), "export: entry 1: ", false},
		{"path long", mod(func(s *stream) { s.path = "/" + strings.Repeat("a", MaxPathLen) }), "export: entry 1: path: wire: read length: 4097 is too long (limit 4096)", false},
		{"reference", mod(func(s *stream) { s.refs = []string{pB, "/nix/store/x"} }), pA + ": reference: ", false},
		{"deriver", mod(func(s *stream) { s.deriver = "plain.drv" }), pA + ": deriver: not an absolute path: 'plain.drv'", false},
		{"flag", mod(func(s *stream) { s.flag = 2 }), pA + ": unexpected signature flag 2", false},
		{"no end", mod(func(s *stream) { s.end = false }), "export: entry 2: marker: unexpected end of input", true},
		{"cut in nar", goodBytes[:40], "export: entry 1: NAR: bad archive: unexpected end of archive", false},
		{"cut after nar", goodBytes[:8+len(good.nar)], "export: entry 1: magic: unexpected end of input", true},
		{"cut in path", goodBytes[:8+len(good.nar)+20], "export: entry 1: path: unexpected end of input", true},
		{"cut in refs", goodBytes[:8+len(good.nar)+8+8+56+8+4], pA + ": references: unexpected end of input", true},
	}
	for _, tt := range tests {
		_, err := readAll(t, tt.in)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.msg)
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %q is not ErrFormat", tt.name, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) != tt.eof {
			t.Errorf("%s: errors.Is(%q, io.ErrUnexpectedEOF) = %v", tt.name, err, !tt.eof)
		}
	}
	// The good stream itself parses (so the cases above fail for their
	// reason, not by accident).
	if _, err := readAll(t, goodBytes); err != nil {
		t.Fatal(err)
	}
}

func TestReaderMisuse(t *testing.T) {
	r := NewReader(bytes.NewReader(nil), sd)
	if _, err := r.Entry(); err == nil {
		t.Error("Entry without Next: no error")
	}
	// Errors are sticky.
	r = NewReader(bytes.NewReader(wire.AppendUint64(nil, 7)), sd)
	_, err1 := r.Next()
	_, err2 := r.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v, %v: want the same error twice", err1, err2)
	}
}

func TestWriteErrors(t *testing.T) {
	n := narOf(t, "x")
	tests := []struct {
		name string
		e    Entry
		nar  []byte
		msg  string
	}{
		{"path", Entry{Path: "/tmp/x"}, n, "export: write /tmp/x: path: path '/tmp/x' is not in the Nix store"},
		{"ref", Entry{Path: pA, References: []string{"x"}}, n, "reference: not an absolute path"},
		{"deriver", Entry{Path: pA, Deriver: "/nix/store/short"}, n, "deriver: "},
		{"bad nar", Entry{Path: pA}, n[:30], "export: write " + pA + ": NAR: bad archive: unexpected end of archive"},
		{"trailing", Entry{Path: pA}, append(append([]byte(nil), n...), 0), "NAR: data after the end of the archive"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		w := NewWriter(&buf, sd)
		err := w.WritePath(tt.e, bytes.NewReader(tt.nar))
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.msg)
		}
	}
	// An invalid Entry writes nothing and leaves the Writer usable.
	var buf bytes.Buffer
	w := NewWriter(&buf, sd)
	if err := w.WritePath(Entry{Path: "x"}, bytes.NewReader(n)); err == nil {
		t.Fatal("no error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), wire.AppendUint64(nil, 0)) {
		t.Errorf("stream = %x, want only the end marker", buf.Bytes())
	}
	if err := w.WritePath(Entry{Path: pA}, bytes.NewReader(n)); err == nil {
		t.Error("WritePath after Close: no error")
	}
}

// FuzzReader: no panic on any input, and whatever parses writes back to
// a stream that parses to the same entries and NARs (and to the same
// bytes, when the input was already canonical).
func FuzzReader(f *testing.F) {
	for _, name := range []string{"tiny.export", "plain.export"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "spec", "vectors", "export", name)); err == nil {
			f.Add(b)
		}
	}
	var b bytes.Buffer
	w := NewWriter(&b, sd)
	var dir bytes.Buffer
	nw := nar.NewWriter(&dir)
	nw.WriteHeader(&nar.Header{Type: nar.TypeDirectory})
	nw.WriteHeader(&nar.Header{Path: "a", Type: nar.TypeRegular, Size: 3, Executable: true})
	nw.Write([]byte("abc"))
	nw.WriteHeader(&nar.Header{Path: "l", Type: nar.TypeSymlink, LinkTarget: "a"})
	nw.Close()
	w.WritePath(Entry{Path: pA, References: []string{pB}, Deriver: pDrv}, bytes.NewReader(dir.Bytes()))
	w.WritePath(Entry{Path: pB}, bytes.NewReader(dir.Bytes()))
	w.Close()
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		items, err := readAll(t, in)
		if err != nil {
			return
		}
		out := writeAll(t, items)
		again, err := readAll(t, out)
		if err != nil {
			t.Fatalf("re-reading our own stream: %v", err)
		}
		if d := cmp.Diff(items, again, bytesEqual); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
		if !bytes.Equal(writeAll(t, again), out) {
			t.Fatal("writing is not stable")
		}
	})
}
