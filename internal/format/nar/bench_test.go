package nar

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// mixedTree writes a small version of bench/nar's tree: about size bytes
// in a few large files, medium and small files in nested directories,
// executables and symlinks. It returns the tree and its NAR size.
func mixedTree(b *testing.B, size int) (string, int64) {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "tree")
	data := make([]byte, size/4)
	for i := range data {
		data[i] = byte(i*131 + i>>9)
	}
	write := func(p string, n int, mode os.FileMode) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data[:n], mode); err != nil {
			b.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			b.Fatal(err)
		}
	}
	write(filepath.Join(dir, "big", "a"), size/4, 0o644)
	write(filepath.Join(dir, "big", "b"), size/8, 0o644)
	left := size - size/4 - size/8
	for i := 0; left > 0; i++ {
		n := min([]int{300 << 10, 40 << 10, 4 << 10, 700, 0}[i%5], left)
		mode := os.FileMode(0o644)
		if i%7 == 0 {
			mode = 0o755
		}
		p := filepath.Join(dir, fmt.Sprintf("pkg%02d", i%32), []string{"bin", "lib", "share/doc", "include/x/y"}[i%4], fmt.Sprintf("f%d", i))
		write(p, n, mode)
		if i%20 == 0 {
			if err := os.Symlink(filepath.Base(p), p+".link"); err != nil {
				b.Fatal(err)
			}
		}
		left -= n
	}
	_, narSize, err := HashPath(dir, nil) // also warms the page cache
	if err != nil {
		b.Fatal(err)
	}
	return dir, narSize
}

// BenchmarkHashPathMixedTree is bench/nar/run.sh in small (64 MiB): it
// reports HashPath's throughput and, as ratio-to-raw, how it compares with
// SHA-256 over the same number of bytes from a cache-resident buffer on one
// core, measured in the same benchmark (the acceptance figure is >= 0.90;
// see bench/nar/README.md for why this machine class falls short).
func BenchmarkHashPathMixedTree(b *testing.B) {
	dir, narSize := mixedTree(b, 64<<20)
	data := make([]byte, 1<<20)
	var raw, hp time.Duration
	b.SetBytes(narSize)
	for b.Loop() {
		start := time.Now()
		if _, _, err := HashPath(dir, nil); err != nil {
			b.Fatal(err)
		}
		hp += time.Since(start)
		b.StopTimer()
		start = time.Now()
		h := sha256.New()
		for left := narSize; left > 0; left -= int64(len(data)) {
			h.Write(data[:min(left, int64(len(data)))])
		}
		h.Sum(nil)
		raw += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(raw.Seconds()/hp.Seconds(), "ratio-to-raw")
}
