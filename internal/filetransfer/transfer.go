package filetransfer

import (
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults for Transfer's zero fields: Nix's download-attempts and
// baseRetryTimeMs.
const (
	DefaultTries     = 5
	DefaultRetryBase = 250 * time.Millisecond
)

// Sink receives the body of one attempt. Finish completes a successful
// attempt; Discard undoes a failed one so that the next starts afresh.
// Write errors are returned by Get as they are, never as an *Error.
type Sink interface {
	io.Writer
	Finish() error
	Discard()
}

// Transfer holds the settings of downloads as Nix's FileTransfer is
// configured; each caller brings its own client (and so its own TLS
// policy) and its own way to report warnings.
type Transfer struct {
	Client    Doer          // required
	UserAgent string        // "" means UserAgent
	Tries     int           // attempts in all; <= 0 means DefaultTries
	RetryBase time.Duration // first retry delay; <= 0 means DefaultRetryBase
	// Warn receives Nix's warning before each retry ("error: unable to
	// download …; retrying in 312 ms", without "warning: "); nil drops it.
	Warn func(msg string)
	// StalledTimeout gives up an attempt that receives (or sends) no data
	// for this long (Nix's stalled-download-timeout); <= 0 means
	// DefaultStalledTimeout. Get does not apply it; Open, Put and Head do.
	StalledTimeout time.Duration
}

// Get downloads u into a fresh sink per attempt: http:// and https://
// through the client, file:// from the local file system as curl reads
// it, a URL without a scheme as http:// (curl's guess). Transient
// failures are retried Tries times in all, RetryBase × 2^(attempt−1+U[0,½))
// apart, with Nix's warning before each retry. Unlike curl, a retry always
// starts from the beginning (no ranged resume).
//
// A failure of the transfer is an *Error; an error of newSink, of the
// sink's Write or Finish is returned as it is; a cancelled ctx gives an
// error wrapping ctx.Err().
func (t *Transfer) Get(ctx context.Context, u string, newSink func() (Sink, error)) error {
	tries, base := t.Tries, t.RetryBase
	if tries <= 0 {
		tries = DefaultTries
	}
	if base <= 0 {
		base = DefaultRetryBase
	}
	for attempt := 1; ; attempt++ {
		s, err := newSink()
		if err != nil {
			return err
		}
		err = t.attempt(ctx, u, s)
		if err == nil {
			return s.Finish()
		}
		s.Discard()
		if ctx.Err() != nil {
			return interrupted(u, ctx.Err())
		}
		var te *Error
		if !errors.As(err, &te) || te.Kind != Transient || attempt >= tries {
			return err
		}
		exp := float64(attempt-1) + rand.Float64()/2
		wait := time.Duration(float64(base) * math.Pow(2, exp))
		if t.Warn != nil {
			t.Warn(fmt.Sprintf("error: %s; retrying in %d ms", te.Msg, wait.Milliseconds()))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return interrupted(u, ctx.Err())
		case <-timer.C:
		}
	}
}

func interrupted(u string, err error) error {
	return fmt.Errorf("download of '%s' was interrupted: %w", u, err)
}

// sinkWriter tells write errors (the sink's, passed on as they are) from
// read errors (the network's).
type sinkWriter struct {
	w   io.Writer
	err error
}

func (s *sinkWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

func (t *Transfer) attempt(ctx context.Context, u string, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return interrupted(u, err)
	}
	scheme, _, hasScheme := strings.Cut(u, "://")
	switch {
	case hasScheme && strings.EqualFold(scheme, "file"):
		return readFileURL(u, w)
	case hasScheme && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")):
		return t.httpGet(ctx, u, u, w)
	case hasScheme:
		return curlError(u, "Unsupported protocol", 1, Misc)
	case strings.HasPrefix(u, "/") || strings.Contains(u, ":"):
		return curlError(u, "URL using bad/illegal format or missing URL", 3, Misc)
	default:
		// curl guesses http:// for a URL without a scheme.
		return t.httpGet(ctx, u, "http://"+u, w)
	}
}

// successfulStatus is filetransfer.cc's successfulStatuses.
func successfulStatus(code int) bool {
	switch code {
	case 200, 201, 204, 206, 304:
		return true
	}
	return false
}

// httpGet is one attempt: GET target, body to w; orig names the URL in
// messages.
func (t *Transfer) httpGet(ctx context.Context, orig, target string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return curlError(orig, "URL using bad/illegal format or missing URL", 3, Misc)
	}
	ua := t.UserAgent
	if ua == "" {
		ua = UserAgent
	}
	req.Header.Set("User-Agent", ua)
	resp, err := t.Client.Do(req)
	if err != nil {
		text, code, kind := curlText(err)
		return curlError(orig, text, code, kind)
	}
	defer resp.Body.Close()
	status := resp.StatusCode
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(status)))
	if !successfulStatus(status) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return httpError(orig, status, reason, "", body)
	}
	var r io.Reader = resp.Body
	// Nix 2.8 undoes any Content-Encoding (its decompress flag is unused).
	switch enc := strings.TrimSpace(resp.Header.Get("Content-Encoding")); enc {
	case "", "none", "identity":
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("decompressing the download of '%s' (Content-Encoding %s): %w", orig, enc, err)
		}
		r = gz
	case "bzip2":
		r = bzip2.NewReader(resp.Body)
	default:
		return &Error{URL: orig, Status: status, Kind: Misc,
			Msg: fmt.Sprintf("unable to download '%s': unsupported Content-Encoding '%s'", orig, enc)}
	}
	sw := &sinkWriter{w: w}
	if _, err := io.Copy(sw, r); err != nil {
		if sw.err != nil {
			return sw.err
		}
		if ctx.Err() != nil {
			return interrupted(orig, ctx.Err())
		}
		text := "Failure when receiving data from the peer"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			text = "Transferred a partial file"
		}
		return httpError(orig, status, reason, text, nil)
	}
	return nil
}

// readFileURL reads a file:// URL as curl does: the host must be empty or
// localhost, the path is percent-decoded, query and fragment are ignored,
// and a directory reads as an empty file.
func readFileURL(u string, w io.Writer) error {
	rest := u[len("file://"):]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return curlError(u, "URL using bad/illegal format or missing URL", 3, Misc)
	}
	if host := rest[:slash]; host != "" && !strings.EqualFold(host, "localhost") {
		return curlError(u, "URL using bad/illegal format or missing URL", 3, Misc)
	}
	p := rest[slash:]
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	f, err := os.Open(p)
	if err != nil {
		return curlError(u, "Couldn't read a file:// file", 37, NotFound)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return curlError(u, "Couldn't read a file:// file", 37, NotFound)
	}
	if fi.IsDir() {
		return nil
	}
	sw := &sinkWriter{w: w}
	if _, err := io.Copy(sw, f); err != nil {
		if sw.err != nil {
			return sw.err
		}
		return curlError(u, "Couldn't read a file:// file", 37, NotFound)
	}
	return nil
}
