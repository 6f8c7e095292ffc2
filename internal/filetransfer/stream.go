package filetransfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultStalledTimeout is Nix's stalled-download-timeout: a transfer
// that moves no byte for this long is given up (and retried if tries
// remain), as curl's CURLOPT_LOW_SPEED_LIMIT 1 / LOW_SPEED_TIME does.
const DefaultStalledTimeout = 300 * time.Second

func (t *Transfer) tries() int {
	if t.Tries <= 0 {
		return DefaultTries
	}
	return t.Tries
}

func (t *Transfer) stalled() time.Duration {
	if t.StalledTimeout <= 0 {
		return DefaultStalledTimeout
	}
	return t.StalledTimeout
}

func (t *Transfer) userAgent() string {
	if t.UserAgent == "" {
		return UserAgent
	}
	return t.UserAgent
}

// backoff waits before retry number attempt (1-based) after the transient
// failure msg, with Nix's warning ("…; retrying in N ms", or "…; retrying
// from offset K in N ms" when a stream resumes).
func (t *Transfer) backoff(ctx context.Context, u string, attempt int, msg string, offset int64) error {
	base := t.RetryBase
	if base <= 0 {
		base = DefaultRetryBase
	}
	exp := float64(attempt-1) + rand.Float64()/2
	wait := time.Duration(float64(base) * math.Pow(2, exp))
	if t.Warn != nil {
		if offset > 0 {
			t.Warn(fmt.Sprintf("error: %s; retrying from offset %d in %d ms", msg, offset, wait.Milliseconds()))
		} else {
			t.Warn(fmt.Sprintf("error: %s; retrying in %d ms", msg, wait.Milliseconds()))
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return interrupted(u, ctx.Err())
	case <-timer.C:
		return nil
	}
}

// retry runs fn until it succeeds, fails permanently or Tries attempts
// are spent; only *Error failures of Kind Transient are retried.
func (t *Transfer) retry(ctx context.Context, u string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return interrupted(u, ctx.Err())
		}
		var te *Error
		if !errors.As(err, &te) || te.Kind != Transient || attempt >= t.tries() {
			return err
		}
		if err := t.backoff(ctx, u, attempt, te.Msg, 0); err != nil {
			return err
		}
	}
}

// watchdog cancels a request that moves no data for the stalled timeout.
type watchdog struct {
	timer *time.Timer
	d     time.Duration
	fired atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{d: d}
	w.timer = time.AfterFunc(d, func() { w.fired.Store(true); cancel() })
	return w
}

func (w *watchdog) kick() { w.timer.Reset(w.d) }
func (w *watchdog) stop() { w.timer.Stop() }

// netError turns a client or body-read error into Nix's *Error; a fired
// watchdog is curl's timeout (28).
func netError(verb, u string, err error, w *watchdog) *Error {
	if w != nil && w.fired.Load() {
		return withVerb(verb, curlError(u, "Timeout was reached", 28, Transient))
	}
	text, code, kind := curlText(err)
	return withVerb(verb, curlError(u, text, code, kind))
}

// withVerb rewrites "unable to download" for uploads, as Nix's
// FileTransferRequest::verb does.
func withVerb(verb string, e *Error) *Error {
	if verb != "download" {
		e.Msg = strings.Replace(e.Msg, "unable to download", "unable to "+verb, 1)
	}
	return e
}

func checkHTTPURL(u string) *Error {
	scheme, _, ok := strings.Cut(u, "://")
	if !ok || !(strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")) {
		return curlError(u, "Unsupported protocol", 1, Misc)
	}
	return nil
}

// statusError reads a failed response's body into Nix's message.
func statusError(verb, u string, resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	return withVerb(verb, httpError(u, resp.StatusCode, reason, "", body))
}

// GetBytes downloads u into memory (for small files: nix-cache-info,
// narinfos), with Get's retries.
func (t *Transfer) GetBytes(ctx context.Context, u string) ([]byte, error) {
	var buf *bufSink
	err := t.Get(ctx, u, func() (Sink, error) { buf = &bufSink{}; return buf, nil })
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type bufSink struct{ bytes.Buffer }

func (*bufSink) Finish() error { return nil }
func (*bufSink) Discard()      {}

// Head asks whether u exists (an HTTP HEAD request), retrying transient
// failures; a missing resource is an *Error of Kind NotFound or Forbidden.
func (t *Transfer) Head(ctx context.Context, u string) error {
	if e := checkHTTPURL(u); e != nil {
		return e
	}
	return t.retry(ctx, u, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
		if err != nil {
			return curlError(u, "URL using bad/illegal format or missing URL", 3, Misc)
		}
		req.Header.Set("User-Agent", t.userAgent())
		actx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := newWatchdog(t.stalled(), cancel)
		defer w.stop()
		resp, err := t.Client.Do(req.WithContext(actx))
		if err != nil {
			return netError("download", u, err, w)
		}
		defer resp.Body.Close()
		if !successfulStatus(resp.StatusCode) {
			return statusError("download", u, resp)
		}
		return nil
	})
}

// Put uploads size bytes of body to u with an HTTP PUT and the given
// Content-Type, as Nix's FileTransfer::upload does for HTTP binary
// caches; transient failures are retried from the start (the body is
// re-read through io.ReaderAt, so a file is never held in memory).
func (t *Transfer) Put(ctx context.Context, u string, body io.ReaderAt, size int64, contentType string) error {
	if e := checkHTTPURL(u); e != nil {
		return withVerb("upload", e)
	}
	return t.retry(ctx, u, func() error {
		actx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := newWatchdog(t.stalled(), cancel)
		defer w.stop()
		newBody := func() (io.ReadCloser, error) {
			return io.NopCloser(&kickReader{r: io.NewSectionReader(body, 0, size), w: w}), nil
		}
		rc, _ := newBody()
		req, err := http.NewRequestWithContext(actx, http.MethodPut, u, rc)
		if err != nil {
			return withVerb("upload", curlError(u, "URL using bad/illegal format or missing URL", 3, Misc))
		}
		req.ContentLength = size
		req.GetBody = newBody
		if size == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("User-Agent", t.userAgent())
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := t.Client.Do(req)
		if err != nil {
			return netError("upload", u, err, w)
		}
		defer resp.Body.Close()
		if !successfulStatus(resp.StatusCode) {
			return statusError("upload", u, resp)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // let the connection be reused
		return nil
	})
}

type kickReader struct {
	r io.Reader
	w *watchdog
}

func (k *kickReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 {
		k.w.kick()
	}
	return n, err
}

// Open streams the body of the http(s) URL u; nothing is buffered beyond
// what the reader's caller asks for. Failures before the body starts are
// retried as Get retries them. A transient failure in the middle of the
// body (a reset connection, a truncated response, a stall) is retried
// from the offset reached when the server announced Accept-Ranges: bytes
// and no Content-Encoding — what Nix's filetransfer does with curl's
// RESUME_FROM — and is otherwise the reader's error. Errors are *Error
// (or wrap ctx.Err() once ctx is cancelled).
func (t *Transfer) Open(ctx context.Context, u string) (io.ReadCloser, error) {
	if e := checkHTTPURL(u); e != nil {
		return nil, e
	}
	s := &stream{t: t, ctx: ctx, u: u}
	if err := t.retry(ctx, u, func() error { return s.connect(0) }); err != nil {
		return nil, err
	}
	return s, nil
}

type stream struct {
	t       *Transfer
	ctx     context.Context
	u       string
	resp    *http.Response
	cancel  context.CancelFunc
	w       *watchdog
	ranges  bool
	off     int64
	tries   int // attempts spent
	pending error
	err     error
}

func (s *stream) release() {
	if s.resp != nil {
		s.resp.Body.Close()
		s.resp = nil
	}
	if s.w != nil {
		s.w.stop()
	}
	if s.cancel != nil {
		s.cancel()
	}
}

// connect starts an attempt reading from offset off.
func (s *stream) connect(off int64) error {
	s.release()
	s.tries++
	actx, cancel := context.WithCancel(s.ctx)
	s.cancel = cancel
	s.w = newWatchdog(s.t.stalled(), cancel)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, s.u, nil)
	if err != nil {
		return curlError(s.u, "URL using bad/illegal format or missing URL", 3, Misc)
	}
	req.Header.Set("User-Agent", s.t.userAgent())
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := s.t.Client.Do(req)
	if err != nil {
		return netError("download", s.u, err, s.w)
	}
	if !successfulStatus(resp.StatusCode) {
		defer resp.Body.Close()
		return statusError("download", s.u, resp)
	}
	enc := strings.TrimSpace(resp.Header.Get("Content-Encoding"))
	if enc != "" && enc != "identity" && enc != "none" {
		resp.Body.Close()
		return &Error{URL: s.u, Status: resp.StatusCode, Kind: Misc,
			Msg: fmt.Sprintf("unable to download '%s': unsupported Content-Encoding '%s'", s.u, enc)}
	}
	s.resp = resp
	s.ranges = strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "bytes")
	if off > 0 && resp.StatusCode != http.StatusPartialContent {
		// The server ignored the range: skip what was already delivered.
		if _, err := io.CopyN(io.Discard, &kickReader{r: resp.Body, w: s.w}, off); err != nil {
			return s.bodyError(err)
		}
	}
	s.off = off
	return nil
}

func (s *stream) bodyError(err error) error {
	if s.ctx.Err() != nil {
		return interrupted(s.u, s.ctx.Err())
	}
	if s.w.fired.Load() {
		return curlError(s.u, "Timeout was reached", 28, Transient)
	}
	text := "Failure when receiving data from the peer"
	if errors.Is(err, io.ErrUnexpectedEOF) {
		text = "Transferred a partial file"
	}
	reason := strings.TrimSpace(strings.TrimPrefix(s.resp.Status, strconv.Itoa(s.resp.StatusCode)))
	return httpError(s.u, s.resp.StatusCode, reason, text, nil)
}

func (s *stream) Read(p []byte) (int, error) {
	for {
		if s.err != nil {
			return 0, s.err
		}
		err := s.pending
		s.pending = nil
		if err == nil {
			if s.resp == nil {
				s.err = fmt.Errorf("download of '%s': read after close", s.u)
				continue
			}
			var n int
			n, err = s.resp.Body.Read(p)
			if n > 0 {
				s.w.kick()
				s.off += int64(n)
				if err != nil && err != io.EOF {
					s.pending = err
				}
				return n, nil
			}
		}
		if err == nil {
			continue
		}
		if err == io.EOF {
			s.err = io.EOF
			s.release()
			continue
		}
		s.err = s.resume(s.bodyError(err))
	}
}

// resume retries a broken body from s.off; it returns nil when the
// stream goes on, else the error to report.
func (s *stream) resume(err error) error {
	for {
		var te *Error
		if !errors.As(err, &te) || te.Kind != Transient || s.tries >= s.t.tries() || !s.ranges {
			s.release()
			return err
		}
		if berr := s.t.backoff(s.ctx, s.u, s.tries, te.Msg, s.off); berr != nil {
			s.release()
			return berr
		}
		off := s.off
		if err = s.connect(off); err == nil {
			return nil
		}
	}
}

func (s *stream) Close() error {
	s.release()
	if s.err == nil {
		s.err = fmt.Errorf("download of '%s': read after close", s.u)
	}
	return nil
}
