package nar

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"gonix/internal/testutil"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func vectorsDir(t testing.TB) string {
	t.Helper()
	return testutil.SpecVectors(t)
}

// makeTrees runs vectors/nar/make-trees.sh in a fresh directory.
func makeTrees(t testing.TB) (vectors, dir string) {
	t.Helper()
	vectors = filepath.Join(vectorsDir(t), "nar")
	script, err := filepath.Abs(filepath.Join(vectors, "make-trees.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	cmd := exec.Command("sh", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make-trees.sh: %v\n%s", err, out)
	}
	return vectors, dir
}

type narVector struct {
	name      string
	size      int64
	sha256hex string
}

// narVectors reads vectors/nar/nar-hashes.txt.
func narVectors(t *testing.T, vectors string) []narVector {
	b, err := os.ReadFile(filepath.Join(vectors, "nar-hashes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []narVector
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#") {
			vs = append(vs, narVector{name: strings.TrimSuffix(line, ":")})
			continue
		}
		if len(vs) == 0 {
			continue
		}
		v := &vs[len(vs)-1]
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "nar size: "); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			v.size = n
		}
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "nar sha256 base16: "); ok {
			v.sha256hex = s
		}
	}
	if len(vs) != 3 {
		t.Fatalf("found %d NAR vectors, want 3", len(vs))
	}
	return vs
}

func TestGolden(t *testing.T) {
	vectors, dir := makeTrees(t)
	for _, v := range narVectors(t, vectors) {
		t.Run(v.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(vectors, v.name+".nar"))
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(want)) != v.size {
				t.Fatalf("%s.nar has %d bytes, nar-hashes.txt says %d", v.name, len(want), v.size)
			}
			var buf bytes.Buffer
			if err := Dump(&buf, filepath.Join(dir, v.name), nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("Dump differs from %s.nar:\n got %x\nwant %x", v.name, buf.Bytes(), want)
			}
			sum, size, err := HashPath(filepath.Join(dir, v.name), nil)
			if err != nil || hex.EncodeToString(sum) != v.sha256hex || size != v.size {
				t.Errorf("HashPath = %x, %d, %v; want %s, %d", sum, size, err, v.sha256hex, v.size)
			}

			// Reader -> Writer reproduces the bytes.
			if got := copyArchive(t, want); !bytes.Equal(got, want) {
				t.Errorf("Reader->Writer copy differs:\n got %x\nwant %x", got, want)
			}

			// Restore, then dump again.
			target := filepath.Join(t.TempDir(), "out")
			if err := Restore(bytes.NewReader(want), target); err != nil {
				t.Fatal(err)
			}
			buf.Reset()
			if err := Dump(&buf, target, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("restored tree dumps differently")
			}
		})
	}
}

// copyArchive reads an archive with Reader and writes it with Writer.
func copyArchive(t testing.TB, nar []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	r := NewReader(bytes.NewReader(nar))
	w := NewWriter(&out)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Type == TypeRegular {
			if _, err := io.Copy(w, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestReaderHeaders(t *testing.T) {
	vectors, _ := makeTrees(t)
	b, err := os.ReadFile(filepath.Join(vectors, "tree.nar"))
	if err != nil {
		t.Fatal(err)
	}
	// Trailing data after the archive is left unread.
	src := bytes.NewReader(append(b, "TRAILER"...))
	r := NewReader(src)
	var got []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s := string(h.Type) + " " + h.Path
		switch h.Type {
		case TypeRegular:
			data, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			s += " " + strings.TrimSpace(string(data))
			if h.Executable {
				s += " x"
			}
		case TypeSymlink:
			s += " -> " + h.LinkTarget
		}
		got = append(got, s)
	}
	want := []string{
		"directory ", "regular B B", "regular hello.txt hello", "symlink link -> hello.txt",
		"regular run.sh #!/bin/sh\necho hi x", "directory sub", "regular sub/empty ",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("headers:\n got %q\nwant %q", got, want)
	}
	rest, _ := io.ReadAll(src)
	if string(rest) != "TRAILER" {
		t.Errorf("reader consumed data after the archive; left %q", rest)
	}
}

func TestDumpBytes(t *testing.T) {
	vectors := filepath.Join(vectorsDir(t), "nar")
	want, err := os.ReadFile(filepath.Join(vectors, "hello.txt.nar"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := DumpBytes(&buf, []byte("hello\n"), false); err != nil || !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("DumpBytes = %x, %v", buf.Bytes(), err)
	}
	buf.Reset()
	w := NewWriter(&buf)
	w.WriteHeader(&Header{Type: TypeRegular, Size: 6})
	w.Write([]byte("hello\n"))
	if err := w.Close(); err != nil || !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Writer single file = %x, %v", buf.Bytes(), err)
	}
}

func TestFilter(t *testing.T) {
	_, dir := makeTrees(t)
	root := filepath.Join(dir, "tree")
	var seen []string
	filter := func(p string, typ Type) bool {
		seen = append(seen, strings.TrimPrefix(p, root)+":"+string(typ))
		return !strings.HasSuffix(p, "/sub") && !strings.HasSuffix(p, "/link")
	}
	var buf bytes.Buffer
	if err := Dump(&buf, root, filter); err != nil {
		t.Fatal(err)
	}
	want := "/B:regular /hello.txt:regular /link:symlink /run.sh:regular /sub:directory"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("filter calls: %s\nwant %s", got, want)
	}
	// The filtered archive is the unfiltered one without those entries.
	if err := os.RemoveAll(filepath.Join(root, "sub")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "link"))
	var ref bytes.Buffer
	if err := Dump(&ref, root, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), ref.Bytes()) {
		t.Error("filtered dump differs from dump of the pruned tree")
	}
	// Relative paths reach the filter as absolute ones.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	var abs bool
	Dump(io.Discard, "tree", func(p string, _ Type) bool { abs = filepath.IsAbs(p); return true })
	if !abs {
		t.Error("filter got a relative path")
	}
}

func TestUnsupportedType(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := exec.Command("mkfifo", fifo).Run(); err != nil {
		t.Skip("mkfifo unavailable")
	}
	err := Dump(io.Discard, dir, nil)
	if err == nil || err.Error() != "file '"+fifo+"' has an unsupported type" {
		t.Errorf("Dump with a fifo: %v", err)
	}
	// A filter that excludes it avoids the error; it sees type "unknown".
	var typ Type
	if err := Dump(io.Discard, dir, func(_ string, tp Type) bool { typ = tp; return false }); err != nil || typ != TypeUnknown {
		t.Errorf("filtered fifo: %v, type %q", err, typ)
	}
}

// narBuilder assembles raw archives for the rejection tests.
type narBuilder struct{ b []byte }

func (n *narBuilder) s(ss ...string) *narBuilder {
	for _, s := range ss {
		n.b = appendStr(n.b, s)
	}
	return n
}

func (n *narBuilder) raw(b ...byte) *narBuilder { n.b = append(n.b, b...); return n }

func nb() *narBuilder { return (&narBuilder{}).s(magic) }

func file(name, contents string) []string {
	return []string{"entry", "(", "name", name, "node", "(", "type", "regular", "contents", contents, ")", ")"}
}

func dirWith(entries ...[]string) *narBuilder {
	n := nb().s("(", "type", "directory")
	for _, e := range entries {
		n.s(e...)
	}
	return n.s(")")
}

func TestReaderRejects(t *testing.T) {
	ok := dirWith(file("a", "1"), file("b", "2"))
	if err := readAll(ok.b); err != nil {
		t.Fatalf("valid archive rejected: %v", err)
	}
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<62)
	for _, c := range []struct {
		name string
		nar  []byte
		want string
	}{
		{"empty", nil, "bad archive: input doesn't look like a Nix archive"},
		{"bad magic", (&narBuilder{}).s("nix-archive-2").b, "bad archive: input doesn't look like a Nix archive"},
		{"no open tag", nb().s("type").b, "bad archive: expected open tag"},
		{"unknown type", nb().s("(", "type", "fifo").b, "bad archive: unknown file type fifo"},
		{"unsorted", dirWith(file("b", ""), file("a", "")).b, "NAR directory is not sorted"},
		{"duplicate", dirWith(file("a", ""), file("a", "")).b, "NAR directory contains duplicate entry 'a'"},
		{"slash", dirWith(file("a/b", "")).b, "NAR contains invalid file name 'a/b'"},
		{"dot", dirWith(file(".", "")).b, "NAR contains invalid file name '.'"},
		{"dotdot", dirWith(file("..", "")).b, "NAR contains invalid file name '..'"},
		{"empty name", dirWith(file("", "")).b, "NAR contains invalid file name ''"},
		{"nul", dirWith(file("a\x00", "")).b, "NAR contains invalid file name 'a\x00'"},
		{"long name", dirWith(file(strings.Repeat("n", 256), "")).b, "bad archive: file name of 256 bytes is too long"},
		{"node before name", nb().s("(", "type", "directory", "entry", "(", "node").b, "bad archive: entry name missing"},
		{"exec marker", nb().s("(", "type", "regular", "executable", "x").b, "bad archive: executable marker has non-empty value"},
		{"missing contents", nb().s("(", "type", "regular", ")").b, "bad archive: unknown field )"},
		{"bad padding", nb().s("(", "type", "regular", "contents").raw(1, 0, 0, 0, 0, 0, 0, 0, 'x', 0, 1, 0, 0, 0, 0, 0).s(")").b, "non-zero padding"},
		{"bad token padding", append(nb().s("(").b[:len(nb().s("(").b)-1], 1), "non-zero padding"},
		{"huge name length", append(nb().s("(", "type", "directory", "entry", "(", "name").b, hugeLen...), "bad archive: file name of 4611686018427387904 bytes is too long"},
		{"huge token", append(nb().b, hugeLen...), "bad archive: unknown field of 4611686018427387904 bytes"},
		{"huge target", append(nb().s("(", "type", "symlink", "target").b, hugeLen...), "bad archive: symlink target of 4611686018427387904 bytes is too long"},
		{"empty target", nb().s("(", "type", "symlink", "target", "", ")").b, "NAR contains invalid symlink target ''"},
		{"truncated contents", nb().s("(", "type", "regular", "contents").raw(hugeLen...).b, "bad archive: unexpected end of archive"},
		{"truncated", ok.b[:len(ok.b)-8], "bad archive: unexpected end of archive"},
		{"second type", nb().s("(", "type", "symlink", "type").b, "bad archive: unknown field type"},
		{"unknown field", nb().s("(", "type", "directory", "bogus").b, "bad archive: unknown field bogus"},
	} {
		err := readAll(c.nar)
		var fe *FormatError
		if err == nil || err.Error() != c.want || !errors.As(err, &fe) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		// Restore fails the same way and leaves nothing outside its target.
		dir := t.TempDir()
		if err := Restore(bytes.NewReader(c.nar), filepath.Join(dir, "t")); err == nil {
			t.Errorf("%s: Restore accepted", c.name)
		}
	}
}

func readAll(nar []byte) error {
	r := NewReader(bytes.NewReader(nar))
	for {
		_, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestRestoreSafety(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "t")
	// A symlink "a" pointing outside, then a directory entry "a" again:
	// rejected as a duplicate before anything is written through it.
	evil := dirWith(
		[]string{"entry", "(", "name", "a", "node", "(", "type", "symlink", "target", dir, ")", ")"},
		[]string{"entry", "(", "name", "a", "node", "(", "type", "directory", ")", ")"},
	)
	if err := Restore(bytes.NewReader(evil.b), target); err == nil {
		t.Fatal("duplicate entry through a symlink accepted")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("restore wrote outside its target: %v", entries)
	}
	// An existing target is not overwritten.
	if err := os.WriteFile(filepath.Join(dir, "exists"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	DumpBytes(&buf, []byte("x"), true)
	if err := Restore(bytes.NewReader(buf.Bytes()), filepath.Join(dir, "exists")); err == nil {
		t.Error("Restore overwrote an existing file")
	}
	// The executable bit is restored as +x for everyone on top of 0666&^umask.
	if err := Restore(bytes.NewReader(buf.Bytes()), filepath.Join(dir, "exe")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "exe")); err != nil || fi.Mode().Perm()&0o111 != 0o111 {
		t.Errorf("executable restored with mode %v, %v", fi.Mode(), err)
	}
}

func TestDeepRestore(t *testing.T) {
	// Deeper than maxOpenDirs, with siblings after the deep branch so
	// closed ancestors must be re-opened.
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteHeader(&Header{Type: TypeDirectory})
	p := ""
	for i := 0; i < 3*maxOpenDirs; i++ {
		p = joinPath(p, "d")
		if err := w.WriteHeader(&Header{Path: p, Type: TypeDirectory}); err != nil {
			t.Fatal(err)
		}
	}
	// Climb back: entries "e" at every level, deepest first.
	for q := p; q != ""; {
		if err := w.WriteHeader(&Header{Path: q + "/e", Type: TypeSymlink, LinkTarget: "/"}); err != nil {
			t.Fatal(err)
		}
		q = q[:max(strings.LastIndexByte(q, '/'), 0)]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "t")
	if err := Restore(bytes.NewReader(buf.Bytes()), target); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := Dump(&again, target, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Error("deep tree does not round-trip")
	}
}

func TestWriterRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		hs   []Header
	}{
		{"root not first", []Header{{Path: "a", Type: TypeRegular}}},
		{"unsorted", []Header{{Type: TypeDirectory}, {Path: "b", Type: TypeDirectory}, {Path: "a", Type: TypeDirectory}}},
		{"outside", []Header{{Type: TypeDirectory}, {Path: "x/y", Type: TypeDirectory}}},
		{"bad name", []Header{{Type: TypeDirectory}, {Path: "..", Type: TypeDirectory}}},
		{"after root file", []Header{{Type: TypeRegular}, {Path: "a", Type: TypeRegular}}},
		{"missing contents", []Header{{Type: TypeRegular, Size: 3}, {Path: "a"}}},
		{"empty link", []Header{{Type: TypeSymlink}}},
	} {
		w := NewWriter(io.Discard)
		var err error
		for i := range c.hs {
			if err = w.WriteHeader(&c.hs[i]); err != nil {
				break
			}
		}
		if err == nil {
			err = w.Close()
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// FuzzReader: no panics, and an accepted archive re-serialises (through
// Writer, and through Restore + Dump) to exactly the bytes consumed.
func FuzzReader(f *testing.F) {
	if dir := filepath.Join("..", "..", "..", "..", "shared", "spec", "vectors", "nar"); true {
		for _, n := range []string{"tiny.nar", "hello.txt.nar", "tree.nar"} {
			if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(dirWith(file("a", "1"), file("b", "2")).b)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := bytes.NewReader(data)
		r := NewReader(src)
		var out bytes.Buffer
		w := NewWriter(&out)
		for {
			h, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if err := w.WriteHeader(h); err != nil {
				t.Fatalf("Writer rejects what Reader accepted: %v", err)
			}
			if h.Type == TypeRegular {
				if _, err := io.Copy(w, r); err != nil {
					return // truncated contents
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Writer.Close: %v", err)
		}
		consumed := data[:len(data)-src.Len()]
		if !bytes.Equal(out.Bytes(), consumed) {
			t.Fatalf("round trip differs:\n in %x\nout %x", consumed, out.Bytes())
		}
		target := filepath.Join(t.TempDir(), "t")
		if err := Restore(bytes.NewReader(data), target); err != nil {
			t.Fatalf("Restore rejects what Reader accepted: %v", err)
		}
		var again bytes.Buffer
		if err := Dump(&again, target, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), consumed) {
			t.Fatalf("restored tree dumps differently")
		}
	})
}

// TestHashPathLarge exercises the concurrent hashing path: more than all
// the hashing buffers' worth of data (so buffers are reused) in files of
// assorted sizes.
func TestHashPathLarge(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "big")
	os.Mkdir(dir, 0o777)
	for i, size := range []int{0, 1, 7, 65536, 65537, 3 << 20, 1 << 20, 12345, maxBigBufs*bigBufSize + 5<<20} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(j*31 + i)
		}
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := Dump(&buf, dir, nil); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(buf.Bytes())
	sum, size, err := HashPath(dir, nil)
	if err != nil || !bytes.Equal(sum, want[:]) || size != int64(buf.Len()) {
		t.Errorf("HashPath = %x, %d, %v; want %x, %d", sum, size, err, want, buf.Len())
	}
	// Errors midway stop the hasher cleanly.
	if _, _, err := HashPath(filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("HashPath of a missing path succeeded")
	}
}

// TestInputErrorNotHidden: an input that fails (a decompressor's error)
// is reported as itself, not as "doesn't look like a Nix archive".
func TestInputErrorNotHidden(t *testing.T) {
	boom := errors.New("zstd: corrupt block")
	for _, prefix := range [][]byte{nil, {13, 0, 0, 0, 0, 0, 0, 0}} {
		r := io.MultiReader(bytes.NewReader(prefix), iotest.ErrReader(boom))
		_, err := NewReader(r).Next()
		if !errors.Is(err, boom) {
			t.Errorf("after %d header bytes: Next() = %v, want the input's error", len(prefix), err)
		}
	}
}
