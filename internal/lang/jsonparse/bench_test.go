package jsonparse

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// benchDoc builds a document of about size bytes mixing objects, arrays,
// numbers and strings with and without escapes, like a typical lock file.
func benchDoc(size int) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `  {"name": "package-%d", "version": "1.%d.3", "rev": %d, "score": %d.25, `+
			`"url": "https:\/\/example.org\/p\/%d.tar.gz", "deps": [%d, %d, %d], "ok": true, "note": null}`,
			i, i%50, i*7919, i%1000, i, i, i+1, i+2)
	}
	b.WriteString("\n]\n")
	return b.String()
}

func BenchmarkParse1MB(b *testing.B) {
	doc := benchDoc(1 << 20)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse1MBString(b *testing.B) {
	doc := `"` + strings.Repeat("abcdefghij ", 1<<20/11) + `"`
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFile parses the file named by $JSONPARSE_BENCH_FILE, for
// side-by-side runs against Nix on the same input.
func BenchmarkParseFile(b *testing.B) {
	name := os.Getenv("JSONPARSE_BENCH_FILE")
	if name == "" {
		b.Skip("set JSONPARSE_BENCH_FILE to a JSON file")
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	doc := string(data)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
