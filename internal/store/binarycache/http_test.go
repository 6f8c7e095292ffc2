package binarycache

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gonix/internal/format/narinfo"
)

// cacheServer is an HTTP binary cache over a directory: GET, HEAD and PUT
// as a plain web server with WebDAV-style uploads offers them, with
// faults to inject.
type cacheServer struct {
	dir string
	srv *httptest.Server

	mu       sync.Mutex
	fail500  map[string]int // path → how many 500s to answer first
	truncate map[string]int // path → how many truncated bodies to send first
	noRanges bool
	noPut    bool
	puts     []string // "path content-type"
	conns    atomic.Int32
	gets     atomic.Int32
}

func newCacheServer(t *testing.T) *cacheServer {
	t.Helper()
	s := &cacheServer{dir: t.TempDir(), fail500: map[string]int{}, truncate: map[string]int{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *cacheServer) take(m map[string]int, p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m[p] > 0 {
		m[p]--
		return true
	}
	return false
}

func (s *cacheServer) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/cache/")
	if p == r.URL.Path || strings.Contains(p, "..") {
		http.NotFound(w, r)
		return
	}
	file := filepath.Join(s.dir, filepath.FromSlash(p))
	switch r.Method {
	case http.MethodPut:
		s.mu.Lock()
		noPut := s.noPut
		s.puts = append(s.puts, p+" "+r.Header.Get("Content-Type"))
		s.mu.Unlock()
		if noPut {
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		if s.take(s.fail500, "PUT "+p) {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		data, err := io.ReadAll(r.Body)
		if err == nil {
			os.MkdirAll(filepath.Dir(file), 0o755)
			err = os.WriteFile(file, data, 0o644)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	case http.MethodGet, http.MethodHead:
		if r.Method == http.MethodGet {
			s.gets.Add(1)
		}
		if s.take(s.fail500, p) {
			http.Error(w, "overloaded", http.StatusInternalServerError)
			return
		}
		data, err := os.ReadFile(file)
		if err != nil {
			if strings.HasPrefix(p, "secret/") {
				http.Error(w, "denied", http.StatusForbidden)
				return
			}
			http.NotFound(w, r)
			return
		}
		if !s.noRanges {
			w.Header().Set("Accept-Ranges", "bytes")
		}
		if rg := r.Header.Get("Range"); rg != "" && !s.noRanges {
			off, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
			if err != nil || off > len(data) {
				http.Error(w, "bad range", http.StatusRequestedRangeNotSatisfiable)
				return
			}
			w.Header().Set("Content-Range", "bytes "+strconv.Itoa(off)+"-"+strconv.Itoa(len(data)-1)+"/"+strconv.Itoa(len(data)))
			w.Header().Set("Content-Length", strconv.Itoa(len(data)-off))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(data[off:])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if r.Method == http.MethodHead {
			return
		}
		if s.take(s.truncate, p) {
			// Half the body, then the connection drops.
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Write(data)
	default:
		http.Error(w, "no", http.StatusMethodNotAllowed)
	}
}

func (s *cacheServer) url() string { return s.srv.URL + "/cache" }

func openHTTP(t *testing.T, s *cacheServer, query string, warn func(string)) *Cache {
	t.Helper()
	opts := []Option{WithTries(5, time.Millisecond)}
	if warn != nil {
		opts = append(opts, WithWarn(warn))
	}
	c, err := OpenURL(context.Background(), s.url()+query, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHTTPRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	sk, pk := testKey(t, "gonix-test-1")
	keyFile := filepath.Join(t.TempDir(), "sec.key")
	if err := os.WriteFile(keyFile, []byte(sk.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newCacheServer(t)
	c := openHTTP(t, s, "/?compression=zstd&secret-key="+keyFile, nil)
	if c.URI() != s.url() || c.Dir() != "" {
		t.Errorf("URI %q Dir %q", c.URI(), c.Dir())
	}
	if info, err := os.ReadFile(filepath.Join(s.dir, "nix-cache-info")); err != nil || string(info) != "StoreDir: /nix/store\n" {
		t.Errorf("nix-cache-info %q, %v", info, err)
	}
	for _, p := range paths {
		if err := c.AddPath(ctx, src, p, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	// The NAR goes up before its narinfo, each with Nix's content type.
	s.mu.Lock()
	puts := append([]string(nil), s.puts...)
	s.mu.Unlock()
	if len(puts) != 1+2*len(paths) || puts[0] != "nix-cache-info text/x-nix-cache-info" {
		t.Fatalf("PUTs %q", puts)
	}
	for i := 1; i < len(puts); i += 2 {
		if !strings.HasPrefix(puts[i], "nar/") || !strings.HasSuffix(puts[i], ".nar.zst application/x-nix-nar") ||
			!strings.HasSuffix(puts[i+1], ".narinfo text/x-nix-narinfo") {
			t.Errorf("PUTs %d, %d: %q, %q", i, i+1, puts[i], puts[i+1])
		}
	}

	// A second client reads what the first wrote, through faults.
	s.fail500["nix-cache-info"] = 1
	top := paths[len(paths)-1]
	hp, _, _ := strings.Cut(strings.TrimPrefix(top, "/nix/store/"), "-")
	s.fail500[hp+".narinfo"] = 2
	var warns []string
	r := openHTTP(t, s, "", func(m string) { warns = append(warns, m) })
	ni, err := r.QueryPathInfo(ctx, top)
	if err != nil {
		t.Fatal(err)
	}
	s.truncate[ni.URL] = 1
	dst := openStore(t)
	if err := SubstituteClosure(ctx, r, dst, []string{top}, []narinfo.PublicKey{pk}, true); err != nil {
		t.Fatal(err)
	}
	verify(t, dst)
	if len(warns) != 4 || !strings.Contains(warns[0], "HTTP error 500") || !strings.Contains(warns[3], "retrying from offset") {
		t.Errorf("warnings %q", warns)
	}
	if n := s.conns.Load(); n > 8 {
		t.Errorf("%d connections for a few sequential requests: no reuse", n)
	}
}

func TestHTTPTruncatedWithoutRanges(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	s := newCacheServer(t)
	w := openHTTP(t, s, "?compression=none", nil)
	for _, p := range paths {
		if err := w.AddPath(ctx, src, p, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	s.noRanges = true
	r := openHTTP(t, s, "", nil)
	ni, err := r.QueryPathInfo(ctx, paths[0])
	if err != nil {
		t.Fatal(err)
	}
	s.truncate[ni.URL] = 1
	dst := openStore(t)
	err = Substitute(ctx, r, dst, paths[0], nil, false)
	if err == nil || !strings.Contains(err.Error(), "Transferred a partial file") {
		t.Fatalf("truncated NAR without ranges: %v", err)
	}
	if ok, _ := dst.IsValidPath(ctx, paths[0]); ok {
		t.Error("a truncated NAR was registered")
	}
	// Once the server behaves again the path arrives.
	if err := Substitute(ctx, r, dst, paths[0], nil, false); err != nil {
		t.Fatal(err)
	}
	verify(t, dst)
}

func TestHTTPMissing(t *testing.T) {
	ctx := context.Background()
	s := newCacheServer(t)
	c := openHTTP(t, s, "", nil)
	p := "/nix/store/00000000000000000000000000000000-nothing"
	_, err := c.QueryPathInfo(ctx, p)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("404 narinfo: %v", err)
	}
	if ok, err := c.Has(ctx, p); ok || err != nil {
		t.Errorf("Has of a missing path: %v, %v", ok, err)
	}
	// 403 (an S3 bucket that cannot be listed) is "not there" too.
	_, err = c.backend.get(ctx, "secret/x.narinfo")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("403: %v", err)
	}
	// Persistent 500s are an error after the tries, not "missing".
	s.fail500["00000000000000000000000000000000.narinfo"] = 100
	_, err = c.QueryPathInfo(ctx, p)
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "HTTP error 500") {
		t.Errorf("500s: %v", err)
	}
	if s.fail500["00000000000000000000000000000000.narinfo"] != 95 {
		t.Errorf("%d tries, want 5", 100-s.fail500["00000000000000000000000000000000.narinfo"])
	}
}

func TestHTTPNotACache(t *testing.T) {
	s := newCacheServer(t)
	s.noPut = true
	_, err := OpenURL(context.Background(), s.url(), WithTries(1, time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "'"+s.url()+"' does not appear to be a binary cache") {
		t.Errorf("read-only server without nix-cache-info: %v", err)
	}
}

func TestURLParams(t *testing.T) {
	ctx := context.Background()
	s := newCacheServer(t)
	os.WriteFile(filepath.Join(s.dir, "nix-cache-info"), []byte("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n"), 0o644)
	c := openHTTP(t, s, "", nil)
	if !c.WantMassQuery() || c.Priority() != 40 || c.Compression() != "xz" || c.SecretKey() != nil {
		t.Errorf("defaults: mass %v priority %d compression %s", c.WantMassQuery(), c.Priority(), c.Compression())
	}
	var warns []string
	c = openHTTP(t, s, "?priority=10&want-mass-query=false&compression=none&parallel-compression=true&frobnicate=1", func(m string) { warns = append(warns, m) })
	if c.WantMassQuery() || c.Priority() != 10 || c.Compression() != "none" {
		t.Errorf("overrides: mass %v priority %d compression %s", c.WantMassQuery(), c.Priority(), c.Compression())
	}
	if len(warns) != 1 || warns[0] != "unknown setting 'frobnicate'" {
		t.Errorf("warnings %q", warns)
	}
	for _, bad := range []string{"?compression=lzma", "?priority=x", "?want-mass-query=maybe", "?secret-key=/nonexistent"} {
		if _, err := OpenURL(ctx, s.url()+bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := OpenURL(ctx, s.url(), WithStoreDir("/other/store")); err == nil || !strings.Contains(err.Error(), "is for Nix stores with prefix '/nix/store', not '/other/store'") {
		t.Errorf("store dir mismatch: %v", err)
	}
	// file:// URLs open the directory directly.
	dir := t.TempDir()
	fc, err := OpenURL(ctx, "file://"+dir+"?compression=zstd&priority=5")
	if err != nil || fc.Dir() != dir || fc.URI() != "file://"+dir || fc.Priority() != 5 || fc.Compression() != "zstd" {
		t.Errorf("file URL: %+v, %v", fc, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nar")); err != nil {
		t.Error(err)
	}
	if _, err := OpenURL(ctx, "s3://bucket"); err == nil {
		t.Error("s3:// accepted")
	}
}

func TestHTTPConcurrentQueries(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	s := newCacheServer(t)
	c := openHTTP(t, s, "?compression=none", nil)
	for _, p := range paths {
		if err := c.AddPath(ctx, src, p, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	r := openHTTP(t, s, "", nil)
	var wg sync.WaitGroup
	errs := make(chan error, 90)
	for i := 0; i < 30; i++ {
		for _, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := r.QueryPathInfo(ctx, p)
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	before := s.conns.Load()
	for i := 0; i < 20; i++ {
		for _, p := range paths {
			if _, err := r.backend.get(ctx, strings.SplitN(strings.TrimPrefix(p, "/nix/store/"), "-", 2)[0]+".narinfo"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := s.conns.Load() - before; n != 0 {
		t.Errorf("%d new connections for sequential requests after a burst: idle connections not kept", n)
	}
}

func TestHTTPMissingNAR(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	s := newCacheServer(t)
	client := s.srv.Client()
	w, err := OpenURL(ctx, s.url(), WithHTTPClient(client), WithTries(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddPath(ctx, src, paths[0], "xz", nil); err != nil {
		t.Fatal(err)
	}
	ni, err := w.QueryPathInfo(ctx, paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(s.dir, filepath.FromSlash(ni.URL))); err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	err = Substitute(ctx, w, dst, paths[0], nil, false)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), ni.URL) {
		t.Errorf("missing NAR: %v", err)
	}
	if ok, _ := dst.IsValidPath(ctx, paths[0]); ok {
		t.Error("registered without its NAR")
	}
}
