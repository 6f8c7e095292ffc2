package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// extensions are the NAR URL suffixes of the compressions the server can
// produce on the fly, as Nix 2.8 names them (spec/store.md §5.4).
//
// binarycache has the same encoders behind an unexported method of its
// Cache; when it exports one, this file should use it instead.
var extensions = map[string]string{
	"none":  "",
	"xz":    ".xz",
	"zstd":  ".zst",
	"bzip2": ".bz2",
	"br":    ".br",
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// encoders hands out compressors whose memory is bounded and small, so
// that many concurrent streams stay cheap: xz with a dictionary of at
// most 1 MiB, and no larger than the NAR (Nix's default is 8 MiB; the
// library allocates it whole), zstd with one goroutine and a 1 MiB
// window, bzip2 at level 9 (900 kB blocks, as Nix), brotli at quality 6
// (Nix's 11 is many times slower than xz; readers do not care). zstd encoders are reused
// (their tables are the bulk of their memory), at most one per stream
// slot staying pooled.
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
// its successful Close, which gives a reusable encoder back.
// size is the NAR's size.
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

// limiter is a counting semaphore with a bounded queue.
type limiter struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newLimiter(n, maxWaiting int) *limiter {
	return &limiter{slots: make(chan struct{}, n), maxWaiting: int64(maxWaiting)}
}

var errBusy = errors.New("too many NAR downloads at once; retry later")

// acquire takes a slot, waiting at most timeout; release gives it back.
func (l *limiter) acquire(ctx context.Context, timeout time.Duration) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if l.waiting.Add(1) > l.maxWaiting {
		l.waiting.Add(-1)
		return errBusy
	}
	defer l.waiting.Add(-1)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() { <-l.slots }

// stallWriter pushes the connection's write deadline forward while data
// flows, so a download may take as long as it needs but a client that
// stops reading is cut after timeout.
type stallWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	timeout time.Duration
	next    time.Time // when to push the deadline again
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if now := time.Now(); now.After(s.next) {
		// Not supported by every ResponseWriter (httptest's); then the
		// server's own limits are all there is.
		_ = s.rc.SetWriteDeadline(now.Add(s.timeout))
		s.next = now.Add(s.timeout / 8)
	}
	return s.w.Write(p)
}

// openRange parses the one form of Range a resuming client sends,
// "bytes=N-".
func openRange(v string) (uint64, bool) {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, "-")
	if !ok || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// skipWriter drops the first skip bytes written to it.
type skipWriter struct {
	w    io.Writer
	skip uint64
}

func (s *skipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if s.skip >= uint64(n) {
		s.skip -= uint64(n)
		return n, nil
	}
	p = p[s.skip:]
	s.skip = 0
	if _, err := s.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// narBufSize is the buffer in front of the connection: the NAR dumper's
// own size, so large files go out in 256 KiB writes.
const narBufSize = 256 << 10

func (h *Handler) serveNAR(w http.ResponseWriter, r *http.Request, name string) {
	hashPart, narHash, ok := h.parseNARName(name)
	if !ok {
		httpError(w, http.StatusNotFound, "no such NAR")
		return
	}
	ctx := r.Context()
	info, err := h.lookup(ctx, hashPart)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if info == nil || !info.NarHash.Equal(narHash) {
		httpError(w, http.StatusNotFound, "no such NAR")
		return
	}
	// An uncompressed NAR is the same bytes every time, so a download cut
	// short can resume: Nix 2.8 retries from the offset it reached only
	// when the server said Accept-Ranges: bytes (filetransfer.cc), and
	// then asks with "Range: bytes=N-". Other range forms get the whole
	// NAR, as HTTP allows.
	status, offset := http.StatusOK, uint64(0)
	w.Header().Set("Content-Type", "application/x-nix-nar")
	if h.compression == "none" {
		w.Header().Set("Accept-Ranges", "bytes")
		if n, ok := openRange(r.Header.Get("Range")); ok {
			if n >= info.NarSize {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", info.NarSize))
				httpError(w, http.StatusRequestedRangeNotSatisfiable, "range not satisfiable")
				return
			}
			status, offset = http.StatusPartialContent, n
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, info.NarSize-1, info.NarSize))
		}
		w.Header().Set("Content-Length", strconv.FormatUint(info.NarSize-offset, 10))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	if err := h.streams.acquire(ctx, h.queueTimeout); err != nil {
		for _, k := range []string{"Content-Length", "Content-Range", "Accept-Ranges"} {
			w.Header().Del(k)
		}
		w.Header().Set("Retry-After", "5")
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer h.streams.release()

	buf := h.encoders.buffer(&skipWriter{w: &stallWriter{w: w, rc: http.NewResponseController(w), timeout: h.stallTimeout}, skip: offset})
	defer h.encoders.putBuffer(buf)
	comp, reuse, err := h.encoders.get(h.compression, info.NarSize, buf)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	var dst io.Writer = comp
	if h.compression == "none" {
		dst = buf // the dumper reads file contents straight into it
	}
	w.WriteHeader(status)
	err = h.st.DumpPath(ctx, info.Path, dst)
	if cerr := comp.Close(); err == nil {
		err = cerr
	}
	if ferr := buf.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		// The status line is out; the only way left to tell the client
		// is to break the connection, so it sees a short body. Nix then
		// fails the download (or its NarHash check) and retries. A
		// client gone or stalled is no server error worth a log line.
		if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, os.ErrDeadlineExceeded) {
			h.logError(r, err)
		}
		panic(http.ErrAbortHandler)
	}
	reuse()
}
