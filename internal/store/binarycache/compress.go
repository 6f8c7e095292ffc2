package binarycache

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// extension is the NAR file suffix Nix 2.8 gives a compression method
// (binary-cache-store.cc, addToStoreCommon); every other method, gzip and
// none included, gets none.
func extension(compression string) string {
	switch compression {
	case "xz":
		return ".xz"
	case "bzip2":
		return ".bz2"
	case "zstd":
		return ".zst"
	case "lzip":
		return ".lzip"
	case "lz4":
		return ".lz4"
	case "br":
		return ".br"
	}
	return ""
}

// writableCompression reports whether compressor supports method.
func writableCompression(method string) bool {
	switch method {
	case "none", "xz", "zstd":
		return true
	}
	return false
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// compressor returns a writer compressing into w with method at level
// (-1: the method's default, as Nix's compression-level).
func compressor(method string, level int, w io.Writer) (io.WriteCloser, error) {
	switch method {
	case "none":
		return nopWriteCloser{w}, nil
	case "xz":
		return xz.NewWriter(w)
	case "zstd":
		opts := []zstd.EOption{zstd.WithEncoderConcurrency(1)}
		if level >= 0 {
			opts = append(opts, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)))
		}
		return zstd.NewWriter(w, opts...)
	}
	return nil, fmt.Errorf("compression method '%s' is not supported for writing (use none, xz or zstd)", method)
}
