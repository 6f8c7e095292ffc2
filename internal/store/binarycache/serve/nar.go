package serve

import (
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
)

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
