package serve

import (
	"bufio"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// encoders hands out compressors whose memory is bounded and small, so
// that many concurrent streams stay cheap: xz with a dictionary of at
// most 1 MiB, and no larger than the NAR (Nix's default is 8 MiB; the
// library allocates it whole), zstd with one goroutine and a 1 MiB
// window, bzip2 at level 9 (900 kB blocks, as Nix), brotli at quality 6
// (Nix's 11 is many times slower than xz; readers do not care). zstd
// encoders are reused (their tables are the bulk of their memory), at
// most one per stream slot staying pooled; so are the NAR buffers.
type encoders struct {
	zstd chan *zstd.Encoder
	bufs chan *bufio.Writer
}

func newEncoders(slots int) *encoders {
	return &encoders{zstd: make(chan *zstd.Encoder, slots), bufs: make(chan *bufio.Writer, slots)}
}

// buffer returns a narBufSize buffer writing into w. Handing the NAR
// dumper a *bufio.Writer makes it use that instead of allocating (and
// clearing) 256 KiB per NAR, which cost 8% of a loaded server's CPU.
func (e *encoders) buffer(w io.Writer) *bufio.Writer {
	select {
	case b := <-e.bufs:
		b.Reset(w)
		return b
	default:
		return bufio.NewWriterSize(w, narBufSize)
	}
}

func (e *encoders) putBuffer(b *bufio.Writer) {
	b.Reset(nil)
	select {
	case e.bufs <- b:
	default:
	}
}

// get returns a compressor writing into w and a function to call after
// its successful Close, which gives a reusable encoder back; size is the
// NAR's size.
func (e *encoders) get(method string, size uint64, w io.Writer) (io.WriteCloser, func(), error) {
	switch method {
	case "none":
		return nopWriteCloser{w}, func() {}, nil
	case "xz":
		dict := 4096
		for dict < 1<<20 && uint64(dict) < size {
			dict *= 2
		}
		xw, err := xz.WriterConfig{DictCap: dict}.NewWriter(w)
		return xw, func() {}, err
	case "bzip2":
		bw, err := bzip2.NewWriter(w, &bzip2.WriterConfig{Level: 9})
		return bw, func() {}, err
	case "br":
		return brotli.NewWriterLevel(w, 6), func() {}, nil
	case "zstd":
		var enc *zstd.Encoder
		select {
		case enc = <-e.zstd:
			enc.Reset(w)
		default:
			var err error
			enc, err = zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
			if err != nil {
				return nil, nil, err
			}
		}
		return enc, func() {
			enc.Reset(nil)
			select {
			case e.zstd <- enc:
			default:
			}
		}, nil
	}
	return nil, nil, fmt.Errorf("compression method '%s' is not supported", method)
}
