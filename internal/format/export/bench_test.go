package export

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func BenchmarkReadWrite(b *testing.B) {
	n := narOf(b, strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB
	stream := writeAll(b, []item{{Entry: Entry{Path: pA, References: []string{pB}}, NAR: n}})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			r := NewReader(bytes.NewReader(stream), sd)
			if _, err := r.Next(); err != nil {
				b.Fatal(err)
			}
			if _, err := r.Entry(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			w := NewWriter(io.Discard, sd)
			if err := w.WritePath(Entry{Path: pA, References: []string{pB}}, bytes.NewReader(n)); err != nil {
				b.Fatal(err)
			}
			w.Close()
		}
	})
}
