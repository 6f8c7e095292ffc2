package eval

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/filetransfer"
)

// clientStore is a computing store that supplies the evaluator's HTTP
// client, as a real store may.
type clientStore struct {
	*ComputeStore
	client HTTPClient
}

func (s clientStore) HTTPClient() HTTPClient { return s.client }

// evalNet evaluates text in dir with the given HTTP client (nil: the
// default one) and returns the printed value or "error: …", and stderr.
func evalNet(t *testing.T, dir, text string, client HTTPClient, interrupted func() bool) (string, string) {
	t.Helper()
	var stderr bytes.Buffer
	var store EvalStore = NewComputeStore("/nix/store")
	if client != nil {
		store = clientStore{NewComputeStore("/nix/store"), client}
	}
	st := New(Options{Stderr: &stderr, Store: store, Interrupted: interrupted,
		Getenv: func(string) (string, bool) { return "", false }})
	v, err := evalDeep(t, st, text, dir)
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			return "error: " + ee.Msg, stderr.String()
		}
		return "error: " + err.Error(), stderr.String()
	}
	var out strings.Builder
	if err := st.Print(&out, v); err != nil {
		t.Fatal(err)
	}
	return out.String(), stderr.String()
}

// tBz2 is simpleTree as a bzip2-compressed tar (made with GNU tar and
// bzip2 -9; the standard library has no bzip2 writer).
const tBz2 = "QlpoOTFBWSZTWQhLCRAAARP7kMmQAEBAAP+AAMxwAN4ABAAACDAAuAxgAAAADGAAAAACqJJ6GlPUNlB7SnqPU6Hd9Lzq2ZmMIj0TaIIjbfztkeGag6NDzjM0LEQkh6+2EInpMvhURGhIi/HPNjgkhrvQzKTDfThSOSfliqZ8nuwVhUyWyw0VLVMEL9/hSna48H8Rc3LGJmqOyv7owdmpB/i7kinChIBCWEiA"

// httpFixture serves the fetch fixture directory over loopback HTTP, with
// a few special paths: /redirect/NAME (302 to /NAME), /flaky-N/NAME (503
// the first N requests for that path), /gz/NAME (gzip Content-Encoding),
// /agent (echoes the User-Agent), /html-error (501 with an HTML body).
func httpFixture(t *testing.T) (dir string, srv *httptest.Server) {
	t.Helper()
	dir = fetchFixture(t)
	bz, err := base64.StdEncoding.DecodeString(tBz2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.tar.bz2"), bz, 0o644); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(dir))
	var (
		mu    sync.Mutex
		flaky = map[string]int32{}
	)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/redirect/"):
			http.Redirect(w, r, "/"+strings.TrimPrefix(p, "/redirect/"), http.StatusFound)
		case strings.HasPrefix(p, "/flaky-"):
			// Counted per client, so Nix and gonix each meet the failures.
			n := int32(p[len("/flaky-")] - '0')
			mu.Lock()
			key := p + " " + r.UserAgent()
			flaky[key]++
			count := flaky[key]
			mu.Unlock()
			if count <= n {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			r.URL.Path = p[len("/flaky-N"):]
			files.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/gz/"):
			data, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(p, "/gz/")))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipBytes(t, data))
		case p == "/agent":
			io.WriteString(w, r.UserAgent())
		case p == "/html-error":
			w.WriteHeader(http.StatusNotImplemented) // not retried, unlike 500
			io.WriteString(w, "<html><body>"+strings.Repeat("x", 1500)+"</body></html>\n")
		default:
			files.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return dir, srv
}

// httpCases: $U is the server's URL. All were measured against
// nix-instantiate 2.8.0 with the same server (TestFetchHTTPOracle).
var httpCases = []struct{ expr, want string }{
	{`builtins.fetchurl "$U/hello.txt"`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`},
	{`builtins.fetchurl { url = "$U/hello.txt"; sha256 = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="; }`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`},
	{`builtins.fetchurl { url = "$U/hello.txt"; name = "greeting"; }`, `"/nix/store/9ai0f5kyg5z0fb3szn6ib04v8mx098kw-greeting"`},
	{`builtins.fetchurl { url = "$U/hello.txt"; sha256 = "0000000000000000000000000000000000000000000000000000"; }`, "error: hash mismatch in file downloaded from '$U/hello.txt':\n  specified: sha256:0000000000000000000000000000000000000000000000000000\n  got:       sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"},
	{`builtins.fetchurl "$U/redirect/hello.txt"`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`},
	{`builtins.fetchurl "$U/gz/hello.txt"`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`},
	{`builtins.fetchurl "$U/empty"`, `"/nix/store/1q82x5ah029adc0r5p06p3ivlzzh3hss-empty"`},
	{`builtins.fetchurl "$U/nope"`, "error: unable to download '$U/nope': HTTP error 404 ('Not Found')\n\nresponse body:\n\n404 page not found"},
	{`builtins.fetchurl "$U/html-error"`, "error: unable to download '$U/html-error': HTTP error 501 ('Not Implemented')\n\nresponse body:\n\n<html><body>" + strings.Repeat("x", 1500) + "</body></html>"},
	{`builtins.fetchurl "$U"`, "error: store path '$N' contains illegal character ':'"},
	{`fetchTarball "$U/t.tar.gz"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`},
	{`fetchTarball "$U/t.tar"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`},
	{`fetchTarball "$U/t.tar.bz2"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`},
	{`fetchTarball "$U/t.zip"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`},
	{`fetchTarball { url = "$U/redirect/t.tar.gz"; name = "foo"; }`, `"/nix/store/lfhxdvfgvb6ap2yi1vihkbcqj35qzi55-foo"`},
	{`fetchTarball { url = "$U/t.tar.gz"; sha256 = "1j9j084sn239ab5084vydg0xhighly1xmhxavbp56sw8gdl6i64g"; }`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`},
	{`fetchTarball { url = "$U/t.tar.gz"; sha256 = "1j9j084sn239ab5084vydg0xhighly1xmhxavbp56sw8gdl6i64h"; }`, "error: hash mismatch in file downloaded from '$U/t.tar.gz':\n  specified: sha256:1j9j084sn239ab5084vydg0xhighly1xmhxavbp56sw8gdl6i64h\n  got:       sha256:1j9j084sn239ab5084vydg0xhighly1xmhxavbp56sw8gdl6i64g"},
	{`fetchTarball "$U/two.tar"`, "error: tarball '$U/two.tar' contains an unexpected number of top-level files"},
	{`fetchTarball "$U/nope.tar.gz"`, "error: unable to download '$U/nope.tar.gz': HTTP error 404 ('Not Found')\n\nresponse body:\n\n404 page not found"},
	{`builtins.fetchurl "$U/flaky-2/hello.txt"`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`},
}

func TestFetchHTTP(t *testing.T) {
	dir, srv := httpFixture(t)
	client := srv.Client()
	for _, c := range httpCases {
		expr := strings.ReplaceAll(c.expr, "$U", srv.URL)
		want := strings.ReplaceAll(c.want, "$U", srv.URL)
		want = strings.ReplaceAll(want, "$N", "")
		got, stderr := evalNet(t, dir, expr, client, nil)
		if strings.Contains(c.want, "$N") {
			got = storePathNameRE(got)
		}
		if got != want {
			t.Errorf("%s\n got: %s\nwant: %s", expr, got, want)
		}
		if strings.Contains(c.expr, "flaky-2") {
			if strings.Count(stderr, "warning: error: unable to download '"+srv.URL+"/flaky-2/hello.txt': HTTP error 503 ('Service Unavailable')") != 2 ||
				strings.Count(stderr, "; retrying in ") != 2 {
				t.Errorf("%s: stderr %q", expr, stderr)
			}
		}
	}
}

// storePathNameRE blanks the hash-and-name part of the "store path '…'
// contains illegal character" message, which depends on the port.
func storePathNameRE(s string) string {
	const pre = "error: store path '"
	if rest, ok := strings.CutPrefix(s, pre); ok {
		if i := strings.IndexByte(rest, '\''); i >= 0 {
			return pre + rest[i:]
		}
	}
	return s
}

func TestFetchHTTPUserAgent(t *testing.T) {
	dir, srv := httpFixture(t)
	// fetchurl stores the echoed agent; read it back through the store
	// path's name-independent content: compare with a file:// fetch.
	got, _ := evalNet(t, dir, `builtins.fetchurl "`+srv.URL+`/agent"`, srv.Client(), nil)
	if err := os.WriteFile(filepath.Join(dir, "agent"), []byte(filetransfer.UserAgent), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _ := evalNet(t, dir, `builtins.fetchurl "file://`+dir+`/agent"`, nil, nil)
	if got != want || !strings.Contains(filetransfer.UserAgent, "Nix/2.8.0") {
		t.Errorf("User-Agent: %s, want %s", got, want)
	}
}

func TestFetchHTTPConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String() + "/x"
	l.Close()
	got, stderr := evalNet(t, t.TempDir(), `builtins.fetchurl "`+u+`"`, nil, nil)
	if want := "error: unable to download '" + u + "': Couldn't connect to server (7)"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if n := strings.Count(stderr, "warning: error: unable to download '"+u+"': Couldn't connect to server (7); retrying in "); n != 4 {
		t.Errorf("%d retry warnings, want 4:\n%s", n, stderr)
	}
}

func TestFetchHTTPUnsupported(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{`builtins.fetchurl "foo2://x/y"`, "error: unable to download 'foo2://x/y': Unsupported protocol (1)"},
		{`builtins.fetchurl "http://[::1"`, "error: unable to download 'http://[::1': URL using bad/illegal format or missing URL (3)"},
	} {
		if got, _ := evalNet(t, t.TempDir(), c.expr, offlineClient{}, nil); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}

// offlineClient answers every request with an empty 404, so a test never
// reaches the network.
type offlineClient struct{}

func (offlineClient) Do(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 404, Status: "404 Not Found", Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// Interrupting the evaluation stops a download that hangs.
func TestFetchHTTPInterrupted(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	deadline := time.Now().Add(200 * time.Millisecond)
	start := time.Now()
	got, _ := evalNet(t, t.TempDir(), `builtins.fetchurl "`+srv.URL+`/slow"`, srv.Client(), func() bool { return time.Now().After(deadline) })
	if got != "error: interrupted by the user" {
		t.Errorf("got %s", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("interruption took %v", d)
	}
}

// TestFetchHTTPOracle runs httpCases through real Nix 2.8 against the
// same loopback server, in a chroot store with a private HOME (Nix's
// fetcher cache lives there), and compares the first line of the result
// or error.
func TestFetchHTTPOracle(t *testing.T) {
	nix := nixOracle(t)
	dir, srv := httpFixture(t)
	for i, c := range httpCases {
		// A fresh HOME per case keeps Nix's fetcher cache out of play.
		home, store := t.TempDir(), t.TempDir()
		expr := strings.ReplaceAll(c.expr, "$U", srv.URL)
		cmd := exec.Command(nix, "--eval", "--strict", "--store", store, "--read-write-mode",
			"--option", "substituters", "", "-E", expr)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+home+"/.cache")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		want := firstLine(stdout.String())
		if want == "" {
			want = firstErrorLine(stderr.String())
		}
		got, _ := evalNet(t, dir, expr, nil, nil)
		got = firstLine(got)
		if strings.Contains(c.want, "$N") {
			got, want = storePathNameRE(got), storePathNameRE(want)
		}
		if got != want {
			t.Errorf("case %d: %s\n gonix: %s\n   nix: %s", i, expr, got, want)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// firstErrorLine skips Nix's retry warnings.
func firstErrorLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "error: ") {
			return l
		}
	}
	return firstLine(s)
}
