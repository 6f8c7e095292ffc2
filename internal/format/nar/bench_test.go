package nar

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const benchFileSize = 64 << 20

func benchTree(b *testing.B, files, size int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "tree")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for i := 0; i < files; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), data, 0o666); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkSHA256Raw is the ceiling HashPath is measured against: SHA-256
// over the same number of bytes, from a cache-resident 1 MiB buffer.
func BenchmarkSHA256Raw(b *testing.B) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.SetBytes(benchFileSize)
	for b.Loop() {
		h := sha256.New()
		for range benchFileSize / len(data) {
			h.Write(data)
		}
		h.Sum(nil)
	}
}

func BenchmarkHashPathLargeFile(b *testing.B) {
	dir := benchTree(b, 1, benchFileSize)
	b.SetBytes(benchFileSize)
	for b.Loop() {
		if _, _, err := HashPath(dir, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPathSmallFiles(b *testing.B) {
	dir := benchTree(b, 2000, 4096)
	b.SetBytes(2000 * 4096)
	for b.Loop() {
		if _, _, err := HashPath(dir, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDumpLargeFileDiscard(b *testing.B) {
	dir := benchTree(b, 1, benchFileSize)
	b.SetBytes(benchFileSize)
	for b.Loop() {
		if err := Dump(io.Discard, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
}
