package binarycache

import (
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Extension is the NAR file suffix Nix 2.8 gives a compression method
// (binary-cache-store.cc, addToStoreCommon); every other method, gzip and
// none included, gets none.
func Extension(compression string) string {
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

// WritableCompression reports whether gonix can write method (none, xz,
// zstd, bzip2, br).
func WritableCompression(method string) bool {
	switch method {
	case "none", "xz", "zstd", "bzip2", "br":
		return true
	}
	return false
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// encoders keeps zstd encoders and decoders for reuse: a new klauspost
// encoder allocates its tables (megabytes) each time, which dominated
// copying many small paths.
type encoders struct {
	zstd    sync.Pool // of *zstd.Encoder, for one level
	zstdDec sync.Pool // of *zstd.Decoder
	// zstdAll decodes small NARs whole (DecodeAll, safe for concurrent
	// use; output beyond wholeZstdLimit is refused, so a hostile frame
	// cannot make it allocate more); zstdOut holds their output buffers.
	zstdAllOnce sync.Once
	zstdAll     *zstd.Decoder
	zstdAllErr  error
	zstdOut     sync.Pool // of *[]byte
	zstdIn      sync.Pool // of *[]byte: the compressed files
}

// wholeZstdLimit is the largest NAR decoded in one piece: decoding a
// whole frame into its final buffer skips the streaming decoder's copy
// through its history window (about a quarter of the decoding CPU).
const wholeZstdLimit = 16 << 20

func (e *encoders) zstdAllDecoder() (*zstd.Decoder, error) {
	e.zstdAllOnce.Do(func() {
		e.zstdAll, e.zstdAllErr = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(wholeZstdLimit+1))
	})
	return e.zstdAll, e.zstdAllErr
}

type pooledZstd struct {
	*zstd.Encoder
	pool *sync.Pool
}

func (p pooledZstd) Close() error {
	err := p.Encoder.Close()
	p.Encoder.Reset(nil)
	p.pool.Put(p.Encoder)
	return err
}

// xzDictCap is the LZMA dictionary for a NAR of size bytes: Nix's
// preset 6 has 8 MiB, but a dictionary larger than the input only costs
// memory (the library allocates it whole), so small NARs get less.
func xzDictCap(size uint64) int {
	const max = 8 << 20
	if size == 0 || size >= max {
		return max
	}
	d := 4096
	for uint64(d) < size {
		d *= 2
	}
	return d
}

// compressor returns a writer compressing into w with method at level
// (-1: the method's default, as Nix's compression-level); size is the
// NAR's size when known (0 if not), to size buffers.
func (c *Cache) compressor(method string, level int, size uint64, w io.Writer) (io.WriteCloser, error) {
	switch method {
	case "none":
		return nopWriteCloser{w}, nil
	case "xz":
		return xz.WriterConfig{DictCap: xzDictCap(size)}.NewWriter(w)
	case "zstd":
		if e, ok := c.enc.zstd.Get().(*zstd.Encoder); ok {
			e.Reset(w)
			return pooledZstd{e, &c.enc.zstd}, nil
		}
		opts := []zstd.EOption{zstd.WithEncoderConcurrency(1)}
		if level >= 0 {
			opts = append(opts, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)))
		}
		e, err := zstd.NewWriter(w, opts...)
		if err != nil {
			return nil, err
		}
		return pooledZstd{e, &c.enc.zstd}, nil
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
