package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// onlyReader hides the bufio fast paths.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// onlyWriter hides the AvailableBuffer fast path.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

// readers returns the two ways a reader can be seen: plain and buffered.
func readers(b []byte) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"plain":  func() io.Reader { return onlyReader{bytes.NewReader(b)} },
		"bufio":  func() io.Reader { return bufio.NewReader(bytes.NewReader(b)) },
		"bufio1": func() io.Reader { return bufio.NewReaderSize(onlyReader{iotestOneByte{b}.reader()}, 16) },
	}
}

// iotestOneByte yields its bytes one per Read.
type iotestOneByte struct{ b []byte }

func (o iotestOneByte) reader() io.Reader { return &oneByte{b: o.b} }

type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodings(t *testing.T) {
	// The serve handshake bytes of spec/store.md §11.3 and strings of
	// every padding length.
	if got := hex.EncodeToString(AppendUint64(nil, 0x390c9deb)); got != "eb9d0c3900000000" {
		t.Errorf("AppendUint64 = %s", got)
	}
	tests := []struct {
		s    string
		want string
	}{
		{"", "0000000000000000"},
		{"a", "0100000000000000 6100000000000000"},
		{"abcdefg", "0700000000000000 61626364656667 00"},
		{"abcdefgh", "0800000000000000 6162636465666768"},
		{"abcdefghi", "0900000000000000 6162636465666768 6900000000000000"},
	}
	for _, tt := range tests {
		want := unhex(t, tt.want)
		if got := AppendString(nil, tt.s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %x, want %x", tt.s, got, want)
		}
		for _, wrap := range []bool{false, true} {
			var buf bytes.Buffer
			var w io.Writer = &buf
			if wrap {
				w = onlyWriter{&buf}
			}
			if err := WriteString(w, tt.s); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("WriteString(%q, wrapped %v) = %x, want %x", tt.s, wrap, buf.Bytes(), want)
			}
			buf.Reset()
			if err := WriteBytes(w, []byte(tt.s)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("WriteBytes(%q) = %x, want %x", tt.s, buf.Bytes(), want)
			}
		}
		for name, mk := range readers(want) {
			r := mk()
			got, err := ReadString(r, 100)
			if err != nil || got != tt.s {
				t.Errorf("%s: ReadString(%x) = %q, %v", name, want, got, err)
			}
			if _, err := ReadUint64(r); !errors.Is(err, io.EOF) {
				t.Errorf("%s: after string: %v, want EOF", name, err)
			}
			b, err := ReadBytes(mk(), 100)
			if err != nil || string(b) != tt.s {
				t.Errorf("%s: ReadBytes(%x) = %q, %v", name, want, b, err)
			}
		}
	}
}

func TestRoundTripMixed(t *testing.T) {
	list := []string{"", "x", strings.Repeat("y", 5000), strings.Repeat("z", 200000)}
	var b []byte
	b = AppendUint64(b, 1<<63+5)
	b = AppendBool(b, true)
	b = AppendBool(b, false)
	b = AppendStrings(b, list)
	b = AppendStrings(b, nil)

	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 16)
	for _, err := range []error{
		WriteUint64(bw, 1<<63+5), WriteBool(bw, true), WriteBool(bw, false),
		WriteStrings(bw, list), WriteStrings(bw, nil), bw.Flush(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(buf.Bytes(), b) {
		t.Fatal("Write* and Append* disagree")
	}
	for name, mk := range readers(b) {
		r := mk()
		n, err := ReadUint64(r)
		if err != nil || n != 1<<63+5 {
			t.Fatalf("%s: ReadUint64 = %d, %v", name, n, err)
		}
		t1, err1 := ReadBool(r)
		t2, err2 := ReadBool(r)
		if !t1 || t2 || err1 != nil || err2 != nil {
			t.Fatalf("%s: ReadBool = %v %v, %v %v", name, t1, t2, err1, err2)
		}
		got, err := ReadStrings(r, 10, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(list, got); d != "" {
			t.Fatalf("%s: ReadStrings (-want +got):\n%s", name, d)
		}
		got, err = ReadStrings(r, 0, 0)
		if err != nil || len(got) != 0 {
			t.Fatalf("%s: empty list = %q, %v", name, got, err)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		read  func(io.Reader) error
		is    error
		extra string // substring of the message
	}{
		{"empty int", "", func(r io.Reader) error { _, err := ReadUint64(r); return err }, io.EOF, "read integer"},
		{"partial int", "0102", func(r io.Reader) error { _, err := ReadUint64(r); return err }, io.ErrUnexpectedEOF, ""},
		{"empty string", "", func(r io.Reader) error { _, err := ReadString(r, 10); return err }, io.EOF, ""},
		{"too long", "0b00000000000000", func(r io.Reader) error { _, err := ReadString(r, 10); return err }, ErrTooLong, "11 is too long (limit 10)"},
		{"absurd", "ffffffffffffffff", func(r io.Reader) error { _, err := ReadBytes(r, 1<<30); return err }, ErrTooLong, "18446744073709551615"},
		{"huge forged but in limit", "00000000ff000000 6162", func(r io.Reader) error { _, err := ReadBytes(r, 1<<62); return err }, io.ErrUnexpectedEOF, ""},
		{"negative limit", "0000000000000000", func(r io.Reader) error { _, err := ReadString(r, -1); return err }, ErrTooLong, ""},
		{"truncated body", "0500000000000000 6162", func(r io.Reader) error { _, err := ReadString(r, 10); return err }, io.ErrUnexpectedEOF, "read string"},
		{"truncated padding", "0500000000000000 6162636465 00", func(r io.Reader) error { _, err := ReadString(r, 10); return err }, io.ErrUnexpectedEOF, "padding"},
		{"no padding", "0500000000000000 6162636465", func(r io.Reader) error { _, err := ReadString(r, 10); return err }, io.ErrUnexpectedEOF, "padding"},
		{"bad padding", "0500000000000000 6162636465 000100", func(r io.Reader) error { _, err := ReadString(r, 10); return err }, ErrPadding, "non-zero padding"},
		{"bad padding bytes", "0100000000000000 6100000000000001", func(r io.Reader) error { _, err := ReadBytes(r, 10); return err }, ErrPadding, ""},
		{"list too long", "0300000000000000", func(r io.Reader) error { _, err := ReadStrings(r, 2, 10); return err }, ErrTooLong, ""},
		{"list truncated", "0200000000000000 0000000000000000", func(r io.Reader) error { _, err := ReadStrings(r, 2, 10); return err }, io.ErrUnexpectedEOF, "list item 1"},
		{"list item too long", "0100000000000000 0500000000000000", func(r io.Reader) error { _, err := ReadStrings(r, 2, 4); return err }, ErrTooLong, ""},
		{"padding alone", "0001", func(r io.Reader) error { return ReadPadding(r, 6) }, ErrPadding, ""},
		{"padding eof", "", func(r io.Reader) error { return ReadPadding(r, 6) }, io.ErrUnexpectedEOF, ""},
	}
	for _, tt := range tests {
		for name, mk := range readers(unhex(t, tt.in)) {
			err := tt.read(mk())
			if !errors.Is(err, tt.is) {
				t.Errorf("%s/%s: err = %v, want %v", tt.name, name, err, tt.is)
				continue
			}
			if errors.Is(tt.is, io.EOF) && errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s/%s: err = %v is also ErrUnexpectedEOF", tt.name, name, err)
			}
			if !strings.HasPrefix(err.Error(), "wire: ") || !strings.Contains(err.Error(), tt.extra) {
				t.Errorf("%s/%s: message %q, want prefix wire: and %q", tt.name, name, err, tt.extra)
			}
		}
	}
}

func TestPadLen(t *testing.T) {
	for n, want := range []int{0, 7, 6, 5, 4, 3, 2, 1, 0, 7} {
		if got := PadLen(uint64(n)); got != want {
			t.Errorf("PadLen(%d) = %d, want %d", n, got, want)
		}
	}
	if got := PadLen(1<<64 - 1); got != 1 {
		t.Errorf("PadLen(max) = %d", got)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	for name, err := range map[string]error{
		"uint":    WriteUint64(failWriter{}, 1),
		"string":  WriteString(failWriter{}, "x"),
		"bytes":   WriteBytes(failWriter{}, []byte("x")),
		"strings": WriteStrings(failWriter{}, []string{"x"}),
		"padding": WritePadding(failWriter{}, 1),
	} {
		if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.HasPrefix(err.Error(), "wire: write") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if n := testing.AllocsPerRun(100, func() {
		bw.Reset(io.Discard)
		WriteUint64(bw, 42)
		WriteString(bw, "hello")
	}); n != 0 {
		t.Errorf("writes to a bufio.Writer allocate %v times", n)
	}
	data := bytes.Repeat(AppendUint64(nil, 7), 200)
	src := bytes.NewReader(data)
	br := bufio.NewReader(src)
	if n := testing.AllocsPerRun(100, func() {
		src.Reset(data)
		br.Reset(src)
		for range 100 {
			ReadUint64(br)
		}
	}); n > 0 {
		t.Errorf("ReadUint64 from a bufio.Reader allocates %v times", n)
	}
}

// FuzzRead decodes arbitrary input as a sequence of values chosen by the
// input's first byte and checks that whatever decodes re-encodes to
// exactly the bytes consumed, on every reader kind.
func FuzzRead(f *testing.F) {
	f.Add([]byte{0}, AppendStrings(nil, []string{"a", "bcdefghij"}))
	f.Add([]byte{1}, AppendString(AppendUint64(nil, 3), "x"))
	f.Add([]byte{2}, AppendString(nil, "abc")[:10])
	f.Add([]byte{3}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, ops []byte, in []byte) {
		var results []string
		for _, name := range []string{"plain", "bufio"} {
			cr := &countReader{r: bytes.NewReader(in)}
			r := io.Reader(cr)
			if name == "bufio" {
				r = bufio.NewReaderSize(cr, 16)
			}
			var out []byte
			ok := true
			for _, op := range ops {
				switch op % 4 {
				case 0:
					ss, err := ReadStrings(r, 16, 64)
					if err != nil {
						ok = false
					} else {
						out = AppendStrings(out, ss)
					}
				case 1:
					n, err := ReadUint64(r)
					if err != nil {
						ok = false
					} else {
						out = AppendUint64(out, n)
					}
				case 2:
					s, err := ReadString(r, 64)
					if err != nil {
						ok = false
					} else {
						out = AppendString(out, s)
					}
				case 3:
					b, err := ReadBytes(r, 1<<40)
					if err != nil {
						ok = false
					} else {
						out = AppendString(out, string(b))
					}
				}
				if !ok {
					break
				}
			}
			if len(out) > len(in) || !bytes.Equal(out, in[:len(out)]) {
				t.Fatalf("%s: re-encoding %x is not a prefix of the input %x", name, out, in)
			}
			if name == "plain" && ok && cr.n != len(out) {
				t.Fatalf("%s: consumed %d bytes, re-encoded %d", name, cr.n, len(out))
			}
			results = append(results, hex.EncodeToString(out))
		}
		for _, r := range results[1:] {
			if r != results[0] {
				t.Fatalf("reader kinds disagree: %q", results)
			}
		}
	})
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func BenchmarkReadString(b *testing.B) {
	data := bytes.Repeat(AppendString(nil, "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain"), 1000)
	br := bufio.NewReader(bytes.NewReader(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		br.Reset(bytes.NewReader(data))
		for range 1000 {
			if _, err := ReadString(br, 4096); err != nil {
				b.Fatal(err)
			}
		}
	}
}
