package filetransfer

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// memSink collects one attempt's body; the test reads the last one.
type memSink struct {
	bytes.Buffer
	finished, discarded *int
	failWrite           error
}

func (s *memSink) Write(p []byte) (int, error) {
	if s.failWrite != nil {
		return 0, s.failWrite
	}
	return s.Buffer.Write(p)
}
func (s *memSink) Finish() error { *s.finished++; return nil }
func (s *memSink) Discard()      { *s.discarded++ }

type result struct {
	last                *memSink
	finished, discarded int
	warnings            []string
}

func get(t *testing.T, ctx context.Context, tr *Transfer, u string, failWrite error) (*result, error) {
	t.Helper()
	r := &result{}
	if tr.RetryBase == 0 {
		tr.RetryBase = time.Millisecond
	}
	tr.Warn = func(m string) { r.warnings = append(r.warnings, m) }
	err := tr.Get(ctx, u, func() (Sink, error) {
		r.last = &memSink{finished: &r.finished, discarded: &r.discarded, failWrite: failWrite}
		return r.last, nil
	})
	return r, err
}

func TestHTTPError(t *testing.T) {
	long := strings.Repeat("x", 2000)
	cases := []struct {
		status int
		reason string
		curl   string
		body   string
		want   string
		kind   Kind
	}{
		{404, "Not Found", "", "404 page not found\n", "unable to download 'U': HTTP error 404 ('Not Found')\n\nresponse body:\n\n404 page not found", NotFound},
		{410, "Gone", "", "", "unable to download 'U': HTTP error 410 ('Gone')", NotFound},
		{401, "Unauthorized", "", "", "unable to download 'U': HTTP error 401 ('Unauthorized')", Forbidden},
		{403, "Forbidden", "", long, "unable to download 'U': HTTP error 403 ('Forbidden')", Forbidden},
		{407, "Proxy Authentication Required", "", "", "unable to download 'U': HTTP error 407 ('Proxy Authentication Required')", Forbidden},
		{400, "Bad Request", "", "", "unable to download 'U': HTTP error 400 ('Bad Request')", Misc},
		{408, "Request Timeout", "", "", "unable to download 'U': HTTP error 408 ('Request Timeout')", Transient},
		{429, "Too Many Requests", "", "", "unable to download 'U': HTTP error 429 ('Too Many Requests')", Transient},
		{500, "Internal Server Error", "", "<html>" + long + "</html>\n", "unable to download 'U': HTTP error 500 ('Internal Server Error')\n\nresponse body:\n\n<html>" + long + "</html>", Transient},
		{501, "Not Implemented", "", "", "unable to download 'U': HTTP error 501 ('Not Implemented')", Misc},
		{503, "Service Unavailable", "", "", "unable to download 'U': HTTP error 503 ('Service Unavailable')", Transient},
		{505, "HTTP Version Not Supported", "", "", "unable to download 'U': HTTP error 505 ('HTTP Version Not Supported')", Misc},
		{511, "Network Authentication Required", "", "", "unable to download 'U': HTTP error 511 ('Network Authentication Required')", Misc},
		{200, "OK", "Transferred a partial file", "", "unable to download 'U': HTTP error 200 ('OK') (curl error: Transferred a partial file)", Transient},
	}
	for _, c := range cases {
		e := httpError("U", c.status, c.reason, c.curl, []byte(c.body))
		if e.Msg != c.want || e.Kind != c.kind || e.Status != c.status || e.URL != "U" {
			t.Errorf("%d: got %q kind %d, want %q kind %d", c.status, e.Msg, e.Kind, c.want, c.kind)
		}
		if e.NotFound() != (c.kind == NotFound) || e.Transient() != (c.kind == Transient) {
			t.Errorf("%d: NotFound %v Transient %v", c.status, e.NotFound(), e.Transient())
		}
	}
}

func TestCurlText(t *testing.T) {
	cases := []struct {
		err  error
		text string
		code int
		kind Kind
	}{
		{&url.Error{Op: "Get", URL: "u", Err: errTooManyRedirects}, "Number of redirects hit maximum amount", 47, Misc},
		{&url.Error{Op: "Get", URL: "u", Err: &net.DNSError{Err: "no such host", Name: "h"}}, "Couldn't resolve host name", 6, Transient},
		{&url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Err: errors.New("refused")}}, "Couldn't connect to server", 7, Transient},
		{&url.Error{Op: "Get", URL: "u", Err: context.DeadlineExceeded}, "Timeout was reached", 28, Transient},
		{&url.Error{Op: "Get", URL: "u", Err: io.EOF}, "Server returned nothing (no headers, no data)", 52, Transient},
		{&url.Error{Op: "Get", URL: "u", Err: errors.New(`unsupported protocol scheme "foo"`)}, "Unsupported protocol", 1, Misc},
		{errors.New("connection reset"), "Failure when receiving data from the peer", 56, Transient},
	}
	for _, c := range cases {
		text, code, kind := curlText(c.err)
		if text != c.text || code != c.code || kind != c.kind {
			t.Errorf("%v: got %q %d %d, want %q %d %d", c.err, text, code, kind, c.text, c.code, c.kind)
		}
	}
}

func TestGetRetries(t *testing.T) {
	var n atomic.Int32
	var agent atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent.Store(r.UserAgent())
		switch r.URL.Path {
		case "/missing":
			n.Add(1)
			http.NotFound(w, r)
		default:
			if n.Add(1) < 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("hello\n"))
		}
	}))
	defer srv.Close()

	r, err := get(t, context.Background(), &Transfer{Client: srv.Client()}, srv.URL+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.last.String() != "hello\n" || r.finished != 1 || r.discarded != 2 {
		t.Errorf("body %q, %d finished, %d discarded", r.last.String(), r.finished, r.discarded)
	}
	if len(r.warnings) != 2 || !strings.HasPrefix(r.warnings[0], "error: unable to download '"+srv.URL+"/x': HTTP error 503 ('Service Unavailable')\n\nresponse body:\n\nbusy; retrying in ") {
		t.Errorf("warnings %q", r.warnings)
	}
	if got := agent.Load(); got != UserAgent {
		t.Errorf("User-Agent %q", got)
	}

	// Tries bounds the transient failures.
	n.Store(-100)
	r, err = get(t, context.Background(), &Transfer{Client: srv.Client(), Tries: 3, UserAgent: "x y"}, srv.URL+"/x", nil)
	var fe *Error
	if !errors.As(err, &fe) || fe.Status != 503 || len(r.warnings) != 2 || r.discarded != 3 {
		t.Errorf("err %v, %d warnings, %d discarded", err, len(r.warnings), r.discarded)
	}
	if got := agent.Load(); got != "x y" {
		t.Errorf("User-Agent %q", got)
	}

	// Permanent failures are not retried.
	n.Store(0)
	_, err = get(t, context.Background(), &Transfer{Client: srv.Client()}, srv.URL+"/missing", nil)
	if !errors.As(err, &fe) || !fe.NotFound() || n.Load() != 1 {
		t.Errorf("err %v after %d requests", err, n.Load())
	}
}

func TestGetContentEncoding(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("unzipped\n"))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gz":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		case "/br":
			w.Header().Set("Content-Encoding", "br")
			w.Write([]byte("?"))
		}
	}))
	defer srv.Close()
	client, release := NewClient(nil)
	defer release()
	r, err := get(t, context.Background(), &Transfer{Client: client}, srv.URL+"/gz", nil)
	if err != nil || r.last.String() != "unzipped\n" {
		t.Errorf("gzip: %q, %v", r.last.String(), err)
	}
	_, err = get(t, context.Background(), &Transfer{Client: client}, srv.URL+"/br", nil)
	if want := "unable to download '" + srv.URL + "/br': unsupported Content-Encoding 'br'"; err == nil || err.Error() != want {
		t.Errorf("br: %v", err)
	}
}

func TestGetRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	}))
	defer srv.Close()
	client, release := NewClient(nil)
	defer release()
	_, err := get(t, context.Background(), &Transfer{Client: client}, srv.URL+"/loop", nil)
	if want := "unable to download '" + srv.URL + "/loop': Number of redirects hit maximum amount (47)"; err == nil || err.Error() != want {
		t.Errorf("err %v", err)
	}
	if n := hits.Load(); n != MaxRedirects+1 {
		t.Errorf("%d requests, want %d", n, MaxRedirects+1)
	}
}

func TestGetURLForms(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a b"), []byte("local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ url, body, err string }{
		{"file://" + dir + "/a%20b?q#f", "local\n", ""},
		{"file://localhost" + dir + "/a%20b", "local\n", ""},
		{"file://" + dir, "", ""},
		{"file://" + dir + "/missing", "", "unable to download 'file://" + dir + "/missing': Couldn't read a file:// file (37)"},
		{"file://elsewhere/x", "", "unable to download 'file://elsewhere/x': URL using bad/illegal format or missing URL (3)"},
		{"foo2://x/y", "", "unable to download 'foo2://x/y': Unsupported protocol (1)"},
		{"/abs/path", "", "unable to download '/abs/path': URL using bad/illegal format or missing URL (3)"},
		{"http://[::1", "", "unable to download 'http://[::1': URL using bad/illegal format or missing URL (3)"},
	}
	for _, c := range cases {
		r, err := get(t, context.Background(), &Transfer{Client: http.DefaultClient}, c.url, nil)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: err %v, want %s", c.url, err, c.err)
			}
			continue
		}
		if err != nil || r.last.String() != c.body {
			t.Errorf("%s: %q, %v", c.url, r.last.String(), err)
		}
	}
}

func TestGetSinkErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("data"))
	}))
	defer srv.Close()
	full := fmt.Errorf("disk full")
	r, err := get(t, context.Background(), &Transfer{Client: srv.Client()}, srv.URL+"/x", full)
	if err != full || r.discarded != 1 || len(r.warnings) != 0 {
		t.Errorf("err %v, %d discarded, warnings %q", err, r.discarded, r.warnings)
	}
	want := errors.New("no room")
	err = (&Transfer{Client: srv.Client()}).Get(context.Background(), srv.URL+"/x", func() (Sink, error) { return nil, want })
	if err != want {
		t.Errorf("newSink: err %v", err)
	}
}

func TestGetCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &Transfer{Client: srv.Client(), RetryBase: time.Hour}
	start := time.Now()
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := get(t, ctx, tr, srv.URL+"/x", nil)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "download of '"+srv.URL+"/x' was interrupted") {
		t.Errorf("err %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}
