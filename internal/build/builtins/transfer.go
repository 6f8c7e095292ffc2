package builtins

import (
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// One download as Nix 2.8's FileTransfer performs it with curl
// (src/libstore/filetransfer.cc): which HTTP statuses count as success,
// the error texts ("unable to download '…': HTTP error 404 ('Not Found')",
// curl's strerror texts with their codes for everything else), which
// failures are transient and retried with exponential back-off, and the
// response body quoted in an error.

// HTTPDoer sends one HTTP request; *http.Client satisfies it. Redirects
// are the doer's business (Nix lets curl follow at most 10).
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}

// UserAgent is sent with every request, in Nix's "curl/… Nix/2.8.0" shape
// with this program named instead of curl.
const UserAgent = "gonix Nix/2.8.0"

// errTooManyRedirects stops the default client after curl's limit.
var errTooManyRedirects = errors.New("too many redirects")

const maxRedirects = 10

// newClient is the client Nix's curl setup amounts to: proxies from the
// environment, at most 10 redirects, no Accept-Encoding of its own (curl
// does not ask for compression; a Content-Encoding the server sends
// anyway is undone by the transfer), and TLS peer verification only when
// verifyTLS is set. The returned function releases idle connections.
func newClient(verifyTLS bool) (*http.Client, func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	if !verifyTLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	c := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
	return c, tr.CloseIdleConnections
}

type errKind uint8

const (
	errTransient errKind = iota // worth another attempt
	errNotFound
	errForbidden
	errMisc
)

// TransferError is a download that failed on the network side (as opposed
// to a failure of the sink the body was written to). Its message is Nix's.
type TransferError struct {
	URL    string
	Status int // HTTP status; 0 when no HTTP response was received
	Msg    string
	kind   errKind
}

func (e *TransferError) Error() string { return e.Msg }

// NotFound reports whether the resource is definitely missing (HTTP 404
// or 410, an unreadable file:// file).
func (e *TransferError) NotFound() bool { return e.kind == errNotFound }

// sink receives the body of one attempt. finish completes a successful
// attempt; discard undoes a failed one so the next starts afresh.
type sink interface {
	io.Writer
	finish() error
	discard()
}

type transfer struct {
	client    HTTPDoer
	userAgent string
	tries     int
	retryBase time.Duration
	warn      func(string)
}

// get downloads u into a fresh sink per attempt, retrying transient
// failures tries times in all, 250 ms × 2^(attempt−1+U[0,½)) apart, with
// Nix's warning before each retry. Unlike curl, a retry always starts
// from the beginning (no ranged resume).
func (t *transfer) get(ctx context.Context, u string, newSink func() (sink, error)) error {
	for attempt := 1; ; attempt++ {
		s, err := newSink()
		if err != nil {
			return err
		}
		err = t.attempt(ctx, u, s)
		if err == nil {
			return s.finish()
		}
		s.discard()
		if ctx.Err() != nil {
			return fmt.Errorf("download of '%s' was interrupted: %w", u, ctx.Err())
		}
		var te *TransferError
		if !errors.As(err, &te) || te.kind != errTransient || attempt >= t.tries {
			return err
		}
		exp := float64(attempt-1) + rand.Float64()/2
		wait := time.Duration(float64(t.retryBase) * math.Pow(2, exp))
		if t.warn != nil {
			t.warn(fmt.Sprintf("error: %s; retrying in %d ms", te.Msg, wait.Milliseconds()))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("download of '%s' was interrupted: %w", u, ctx.Err())
		case <-timer.C:
		}
	}
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

func (t *transfer) attempt(ctx context.Context, u string, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("download of '%s' was interrupted: %w", u, err)
	}
	scheme, _, hasScheme := strings.Cut(u, "://")
	switch {
	case hasScheme && strings.EqualFold(scheme, "file"):
		return readFileURL(u, w)
	case hasScheme && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")):
		return t.httpGet(ctx, u, u, w)
	case hasScheme:
		return curlError(u, "Unsupported protocol", 1, errMisc)
	case strings.HasPrefix(u, "/") || strings.Contains(u, ":"):
		return curlError(u, "URL using bad/illegal format or missing URL", 3, errMisc)
	default:
		// curl guesses http:// for a URL without a scheme.
		return t.httpGet(ctx, u, "http://"+u, w)
	}
}

func curlError(u, text string, code int, kind errKind) *TransferError {
	return &TransferError{URL: u, Msg: fmt.Sprintf("unable to download '%s': %s (%d)", u, text, code), kind: kind}
}

// successfulStatus is filetransfer.cc's successfulStatuses.
func successfulStatus(code int) bool {
	switch code {
	case 200, 201, 204, 206, 304:
		return true
	}
	return false
}

func (t *transfer) httpGet(ctx context.Context, orig, u string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return curlError(orig, "URL using bad/illegal format or missing URL", 3, errMisc)
	}
	req.Header.Set("User-Agent", t.userAgent)
	resp, err := t.client.Do(req)
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
		return &TransferError{URL: orig, Status: status, kind: errMisc,
			Msg: fmt.Sprintf("unable to download '%s': unsupported Content-Encoding '%s'", orig, enc)}
	}
	sw := &sinkWriter{w: w}
	if _, err := io.Copy(sw, r); err != nil {
		if sw.err != nil {
			return sw.err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("download of '%s' was interrupted: %w", orig, ctx.Err())
		}
		text := "Failure when receiving data from the peer"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			text = "Transferred a partial file"
		}
		return httpError(orig, status, reason, text, nil)
	}
	return nil
}

// httpError is Nix's message for a response it does not accept: the
// status and its reason phrase, the curl error if the transfer itself
// failed, and the response body when it is short or HTML.
func httpError(u string, status int, reason, curlErr string, body []byte) *TransferError {
	msg := fmt.Sprintf("unable to download '%s': HTTP error %d ('%s')", u, status, reason)
	if curlErr != "" {
		msg += fmt.Sprintf(" (curl error: %s)", curlErr)
	}
	if len(body) > 0 && (len(body) < 1024 || strings.Contains(string(body), "<html>")) {
		msg += "\n\nresponse body:\n\n" + strings.TrimRight(string(body), " \n\r\t")
	}
	kind := errTransient
	switch {
	case status == 404 || status == 410:
		kind = errNotFound
	case status == 401 || status == 403 || status == 407:
		kind = errForbidden
	case status >= 400 && status < 500 && status != 408 && status != 429,
		status == 501 || status == 505 || status == 511:
		kind = errMisc
	}
	return &TransferError{URL: u, Status: status, Msg: msg, kind: kind}
}

// curlText maps a Go client error to curl's strerror text and code.
func curlText(err error) (string, int, errKind) {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, errTooManyRedirects):
		return "Number of redirects hit maximum amount", 47, errMisc
	case errors.As(err, &dnsErr):
		return "Couldn't resolve host name", 6, errTransient
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr):
		return "SSL peer certificate or SSH remote key was not OK", 60, errTransient
	case errors.As(err, &recErr):
		return "SSL connect error", 35, errTransient
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "Timeout was reached", 28, errTransient
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "Couldn't connect to server", 7, errTransient
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Server returned nothing (no headers, no data)", 52, errTransient
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol scheme") {
		return "Unsupported protocol", 1, errMisc
	}
	return "Failure when receiving data from the peer", 56, errTransient
}

// readFileURL reads a file:// URL as curl does: the host must be empty or
// localhost, the path is percent-decoded, query and fragment are ignored,
// and a directory reads as an empty file.
func readFileURL(u string, w io.Writer) error {
	rest := u[len("file://"):]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return curlError(u, "URL using bad/illegal format or missing URL", 3, errMisc)
	}
	if host := rest[:slash]; host != "" && !strings.EqualFold(host, "localhost") {
		return curlError(u, "URL using bad/illegal format or missing URL", 3, errMisc)
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
		return curlError(u, "Couldn't read a file:// file", 37, errNotFound)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return curlError(u, "Couldn't read a file:// file", 37, errNotFound)
	}
	if fi.IsDir() {
		return nil
	}
	sw := &sinkWriter{w: w}
	if _, err := io.Copy(sw, f); err != nil {
		if sw.err != nil {
			return sw.err
		}
		return curlError(u, "Couldn't read a file:// file", 37, errNotFound)
	}
	return nil
}
