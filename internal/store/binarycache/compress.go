package binarycache

import (
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/dsnet/compress/bzip2"
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
	case "none", "xz", "zstd", "bzip2", "br":
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
	case "bzip2":
		cfg := &bzip2.WriterConfig{}
		if level >= 1 && level <= 9 {
			cfg.Level = level
		}
		return bzip2.NewWriter(w, cfg)
	case "br":
		// Nix's default is brotli's quality 11, many times slower than
		// xz; the reader does not care, so the library's default (6)
		// unless compression-level says otherwise.
		q := brotli.DefaultCompression
		if level >= brotli.BestSpeed && level <= brotli.BestCompression {
			q = level
		}
		return brotli.NewWriterLevel(w, q), nil
	}
	return nil, fmt.Errorf("compression method '%s' is not supported for writing (use none, xz, zstd, bzip2 or br)", method)
}
