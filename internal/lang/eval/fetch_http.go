package eval

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"gonix/internal/filetransfer"
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
// The transfer rules are internal/filetransfer's, shared with
// builtin:fetchurl (internal/build/builtins); what is the evaluator's own
// is the client (TLS verified), the temporary file, warnings on stderr
// and interruption through Options.Interrupted.

// HTTPClient sends the fetcher builtins' HTTP requests; *http.Client
// satisfies it. It is the evaluator's only way to the network: a store
// passed in Options.Store may supply one by implementing
// HTTPClientSource (tests plug an httptest client in this way, and a
// client that always fails keeps evaluation off the network); otherwise a
// client like Nix's is used: TLS verified against the system roots or
// NIX_SSL_CERT_FILE/SSL_CERT_FILE, proxies from the environment, at most
// 10 redirects.
type HTTPClient = filetransfer.Doer

// HTTPClientSource is the optional EvalStore capability that supplies
// the HTTPClient.
type HTTPClientSource interface {
	HTTPClient() HTTPClient
}

// download fetches u (after resolveURI) into a file and returns its path
// and whether it is a temporary file for the caller to remove. file://
// URLs are read in place (downloadLocal); everything else goes through
// filetransfer, which also words the errors for schemes it cannot fetch.
func (st *State) download(u string) (file string, temp bool) {
	if scheme, _, ok := strings.Cut(u, "://"); ok && strings.EqualFold(scheme, "file") {
		return downloadLocal(u)
	}
	return st.downloadHTTP(u), true
}

// downloadHTTP downloads u into a new temporary file (a fresh one for
// each attempt), retrying transient failures with a warning on stderr.
func (st *State) downloadHTTP(u string) string {
	client, release := st.httpClient()
	defer release()
	ctx, stop := st.downloadContext()
	defer stop()
	var path string
	t := &filetransfer.Transfer{
		Client: client,
		Warn:   func(msg string) { writeWarning(st.stderr, "%s", msg) },
	}
	err := t.Get(ctx, u, func() (filetransfer.Sink, error) {
		f, err := os.CreateTemp("", "gonix-download-")
		if err != nil {
			return nil, fmt.Errorf("creating a temporary file for '%s': %w", u, err)
		}
		path = f.Name()
		return &tempSink{url: u, f: f}, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			throwErr(&Error{Kind: ErrAbort, Msg: "interrupted by the user"})
		}
		failNoPos("%s", err.Error())
	}
	return path
}

// tempSink is one attempt's temporary file.
type tempSink struct {
	url string
	f   *os.File
}

func (s *tempSink) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err != nil {
		err = fmt.Errorf("writing the download of '%s': %w", s.url, err)
	}
	return n, err
}

func (s *tempSink) Finish() error {
	if err := s.f.Close(); err != nil {
		os.Remove(s.f.Name())
		return fmt.Errorf("writing the download of '%s': %w", s.url, err)
	}
	return nil
}

func (s *tempSink) Discard() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// httpClient is the store's client if it supplies one, else one like
// Nix's (filetransfer.NewClient) with TLS peers verified against
// NIX_SSL_CERT_FILE or SSL_CERT_FILE when set, the system roots
// otherwise. The returned function releases idle connections.
func (st *State) httpClient() (HTTPClient, func()) {
	if s, ok := st.store.(HTTPClientSource); ok {
		if c := s.HTTPClient(); c != nil {
			return c, func() {}
		}
	}
	var conf *tls.Config
	for _, v := range []string{"NIX_SSL_CERT_FILE", "SSL_CERT_FILE"} {
		if p, ok := st.opts.Getenv(v); ok && p != "" {
			if pem, err := os.ReadFile(p); err == nil {
				pool := x509.NewCertPool()
				if pool.AppendCertsFromPEM(pem) {
					conf = &tls.Config{RootCAs: pool}
				}
			}
			break
		}
	}
	return filetransfer.NewClient(conf)
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
