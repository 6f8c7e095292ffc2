package eval

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
	"sync"
	"time"
)

// Downloads for builtins.fetchurl and fetchTarball over http and https,
// as Nix 2.8's curl-based FileTransfer does them
// (src/libstore/filetransfer.cc): the HTTP statuses that count as
// success, the error texts ("unable to download '…': HTTP error 404
// ('Not Found')", curl's strerror text and code for everything else),
// transient failures retried up to download-attempts (5) times with
// exponential back-off and a warning each, and a short or HTML response
// body quoted in the error.
//
// Nix keeps a fetcher cache in ~/.cache/nix (tarball-ttl, ETags); this
// build has none, so every evaluation downloads again.
//
// builtin:fetchurl (internal/build/builtins) has the same transfer rules;
// the two copies belong in one package below both once there is one.

// HTTPClient sends the fetcher builtins' HTTP requests; *http.Client
// satisfies it. It is the evaluator's only way to the network: a store
// passed in Options.Store may supply one by implementing
// HTTPClientSource (tests plug an httptest client in this way, and a
// client that always fails keeps evaluation off the network); otherwise a
// client like Nix's is used: TLS verified against the system roots or
// NIX_SSL_CERT_FILE/SSL_CERT_FILE, proxies from the environment, at most
// 10 redirects.
type HTTPClient interface {
	Do(req *http.Request) (*http.Response, error)
}

// HTTPClientSource is the optional EvalStore capability that supplies
// the HTTPClient.
type HTTPClientSource interface {
	HTTPClient() HTTPClient
}

// userAgent is Nix's "curl/… Nix/2.8.0" with this program named instead.
const userAgent = "gonix Nix/2.8.0"

const (
	downloadAttempts = 5                      // download-attempts
	retryBase        = 250 * time.Millisecond // baseRetryTimeMs
	maxRedirects     = 10                     // CURLOPT_MAXREDIRS
)

var errTooManyRedirects = errors.New("too many redirects")

// dlError is a failed download attempt; transient ones are retried.
type dlError struct {
	msg       string
	transient bool
}

func (e *dlError) Error() string { return e.msg }

// download fetches u (after resolveURI) into a file and returns its path
// and whether it is a temporary file for the caller to remove. file://
// URLs are read in place (downloadLocal).
func (st *State) download(u string) (file string, temp bool) {
	scheme, _, hasScheme := strings.Cut(u, "://")
	switch {
	case hasScheme && strings.EqualFold(scheme, "file"):
		return downloadLocal(u)
	case hasScheme && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")):
		return st.downloadHTTP(u, u), true
	case hasScheme:
		failNoPos("%s", dlCurlError(u, "Unsupported protocol", 1, false).msg)
	case strings.HasPrefix(u, "/") || strings.Contains(u, ":"):
		failNoPos("%s", dlCurlError(u, "URL using bad/illegal format or missing URL", 3, false).msg)
	}
	// curl guesses http:// for a URL without a scheme.
	return st.downloadHTTP(u, "http://"+u), true
}

// downloadHTTP downloads target (named orig in messages) into a new
// temporary file, retrying transient failures.
func (st *State) downloadHTTP(orig, target string) string {
	f, err := os.CreateTemp("", "gonix-download-")
	if err != nil {
		failNoPos("creating a temporary file for '%s': %s", orig, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	client := st.httpClient()
	ctx, stop := st.downloadContext()
	defer stop()
	for attempt := 1; ; attempt++ {
		_, err := f.Seek(0, io.SeekStart)
		if err == nil {
			err = f.Truncate(0)
		}
		if err != nil {
			failNoPos("rewinding the temporary file for '%s': %s", orig, err)
		}
		err = httpGet(ctx, client, orig, target, f)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			throwErr(&Error{Kind: ErrAbort, Msg: "interrupted by the user"})
		}
		var de *dlError
		if !errors.As(err, &de) {
			failNoPos("%s", err.Error())
		}
		if !de.transient || attempt >= downloadAttempts {
			failNoPos("%s", de.msg)
		}
		wait := time.Duration(float64(retryBase) * math.Pow(2, float64(attempt-1)+rand.Float64()/2))
		writeWarning(st.stderr, "error: %s; retrying in %d ms", de.msg, wait.Milliseconds())
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			throwErr(&Error{Kind: ErrAbort, Msg: "interrupted by the user"})
		case <-timer.C:
		}
	}
	if err := f.Close(); err != nil {
		failNoPos("writing the download of '%s': %s", orig, err)
	}
	ok = true
	return f.Name()
}

func (st *State) httpClient() HTTPClient {
	if s, ok := st.store.(HTTPClientSource); ok {
		if c := s.HTTPClient(); c != nil {
			return c
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// curl asks for no compression; a Content-Encoding sent anyway is
	// undone in httpGet.
	tr.DisableCompression = true
	for _, v := range []string{"NIX_SSL_CERT_FILE", "SSL_CERT_FILE"} {
		if p, ok := st.opts.Getenv(v); ok && p != "" {
			if pem, err := os.ReadFile(p); err == nil {
				pool := x509.NewCertPool()
				if pool.AppendCertsFromPEM(pem) {
					tr.TLSClientConfig = &tls.Config{RootCAs: pool}
				}
			}
			break
		}
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
}

// downloadContext is cancelled once Options.Interrupted reports true
// (polled from a goroutine that stop waits for, so Interrupted must be
// safe to call concurrently, as a context's Err is).
func (st *State) downloadContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if st.interrupted == nil {
		return ctx, cancel
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if st.interrupted() {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel()
	}
}

func dlCurlError(u, text string, code int, transient bool) *dlError {
	return &dlError{msg: fmt.Sprintf("unable to download '%s': %s (%d)", u, text, code), transient: transient}
}

// dlWriter tells the file's write errors from the network's read errors.
type dlWriter struct {
	w   io.Writer
	err error
}

func (d *dlWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil && d.err == nil {
		d.err = err
	}
	return n, err
}

// httpGet is one attempt: GET target, body to w.
func httpGet(ctx context.Context, client HTTPClient, orig, target string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return dlCurlError(orig, "URL using bad/illegal format or missing URL", 3, false)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		text, code, transient := curlText(err)
		return dlCurlError(orig, text, code, transient)
	}
	defer resp.Body.Close()
	status := resp.StatusCode
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(status)))
	switch status {
	case 200, 201, 204, 206, 304: // successfulStatuses
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return httpStatusError(orig, status, reason, "", body)
	}
	var r io.Reader = resp.Body
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
		return fmt.Errorf("unable to download '%s': unsupported Content-Encoding '%s'", orig, enc)
	}
	dw := &dlWriter{w: w}
	if _, err := io.Copy(dw, r); err != nil {
		if dw.err != nil {
			return fmt.Errorf("writing the download of '%s': %w", orig, dw.err)
		}
		text := "Failure when receiving data from the peer"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			text = "Transferred a partial file"
		}
		return httpStatusError(orig, status, reason, text, nil)
	}
	return nil
}

// httpStatusError is Nix's message for a response it does not accept,
// and whether the failure is transient (5xx other than 501, 505, 511;
// 408; 429; and transfers broken off after a good status).
func httpStatusError(u string, status int, reason, curlErr string, body []byte) *dlError {
	msg := fmt.Sprintf("unable to download '%s': HTTP error %d ('%s')", u, status, reason)
	if curlErr != "" {
		msg += fmt.Sprintf(" (curl error: %s)", curlErr)
	}
	if len(body) > 0 && (len(body) < 1024 || strings.Contains(string(body), "<html>")) {
		msg += "\n\nresponse body:\n\n" + strings.TrimRight(string(body), " \n\r\t")
	}
	transient := true
	switch {
	case status == 404 || status == 410 || status == 401 || status == 403 || status == 407,
		status >= 400 && status < 500 && status != 408 && status != 429,
		status == 501 || status == 505 || status == 511:
		transient = false
	}
	return &dlError{msg: msg, transient: transient}
}

// curlText maps a Go client error to curl's strerror text and code.
func curlText(err error) (text string, code int, transient bool) {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
		ue      *url.Error
	)
	switch {
	case errors.Is(err, errTooManyRedirects):
		return "Number of redirects hit maximum amount", 47, false
	case errors.As(err, &dnsErr):
		return "Couldn't resolve host name", 6, true
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr):
		return "SSL peer certificate or SSH remote key was not OK", 60, true
	case errors.As(err, &recErr):
		return "SSL connect error", 35, true
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "Timeout was reached", 28, true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "Couldn't connect to server", 7, true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Server returned nothing (no headers, no data)", 52, true
	case errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol scheme"):
		return "Unsupported protocol", 1, false
	}
	return "Failure when receiving data from the peer", 56, true
}
