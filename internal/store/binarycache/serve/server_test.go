package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
)

// fakeStore holds one path whose NAR is produced by dump, so tests can
// hold a download open or make it endless.
type fakeStore struct {
	info *store.PathInfo
	dump func(ctx context.Context, w io.Writer) error
}

func (s *fakeStore) StoreDir() string { return "/nix/store" }

func (s *fakeStore) QueryPathInfo(_ context.Context, p string) (*store.PathInfo, error) {
	if p != s.info.Path {
		return nil, fmt.Errorf("path '%s': %w", p, store.ErrNotValid)
	}
	return s.info, nil
}

func (s *fakeStore) QueryPathFromHashPart(_ context.Context, hp string) (string, error) {
	if hp == hashPart(s.info.Path) {
		return s.info.Path, nil
	}
	return "", nil
}

func (s *fakeStore) DumpPath(ctx context.Context, _ string, w io.Writer) error { return s.dump(ctx, w) }

func newFake(dump func(ctx context.Context, w io.Writer) error) *fakeStore {
	sum := sha256.Sum256([]byte("fake"))
	return &fakeStore{
		info: &store.PathInfo{Path: mainPath, NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum[:]}, NarSize: 4},
		dump: dump,
	}
}

func (s *fakeStore) narURL() string {
	return "/nar/" + hashPart(s.info.Path) + "-" + s.info.NarHash.Base32() + ".nar"
}

// TestStreamLimit: with one stream allowed and one waiter, a second
// download waits for the first, a third is refused with 503 at once, and
// a waiter whose queue timeout passes is refused too.
func TestStreamLimit(t *testing.T) {
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	fs := newFake(func(ctx context.Context, w io.Writer) error {
		entered <- struct{}{}
		<-release
		_, err := io.WriteString(w, "fake")
		return err
	})
	h, err := New(Options{Store: fs, MaxStreams: 1, MaxWaiting: 1, QueueTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	type result struct {
		code int
		body string
	}
	fetch := func(out chan<- result) {
		resp, err := http.Get(srv.URL + fs.narURL())
		if err != nil {
			out <- result{code: -1, body: err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- result{resp.StatusCode, string(b)}
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go fetch(first)
	<-entered
	go fetch(second)
	deadline := time.Now().Add(10 * time.Second)
	for h.streams.waiting.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("second download never queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
	third := make(chan result, 1)
	fetch(third)
	if r := <-third; r.code != http.StatusServiceUnavailable {
		t.Errorf("third download while one streams and one waits: %d %q, want 503", r.code, r.body)
	}
	close(release)
	for i, ch := range []chan result{first, second} {
		if r := <-ch; r.code != 200 || r.body != "fake" {
			t.Errorf("download %d: %d %q", i+1, r.code, r.body)
		}
	}

	// A waiter gives up after QueueTimeout.
	block := make(chan struct{})
	entered2 := make(chan struct{}, 1)
	fs.dump = func(ctx context.Context, w io.Writer) error {
		entered2 <- struct{}{}
		<-block
		return nil
	}
	h2, err := New(Options{Store: fs, MaxStreams: 1, QueueTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(h2)
	defer srv2.Close()
	defer close(block)
	go func() {
		resp, err := http.Get(srv2.URL + fs.narURL())
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	<-entered2
	resp, err := http.Get(srv2.URL + fs.narURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("waiter after its queue timeout: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestStallCut: a client that sends a request and never reads the
// endless NAR is cut after the stall timeout, freeing the stream slot.
func TestStallCut(t *testing.T) {
	dumped := make(chan error, 1)
	fs := newFake(func(ctx context.Context, w io.Writer) error {
		chunk := bytes.Repeat([]byte{'x'}, 64<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				dumped <- err
				return err
			}
		}
	})
	h, err := New(Options{Store: fs, MaxStreams: 1, StallTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var logBuf syncBuffer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, AccessLog(h, &logBuf), ServerOptions{ShutdownGrace: time.Second}) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", fs.narURL())
	select {
	case err := <-dumped:
		if err == nil {
			t.Fatal("dump ended without error")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a stalled download was not cut")
	}
	// The slot is free again: the access log says the download aborted.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logBuf.String(), " aborted ") {
		if time.Now().After(deadline) {
			t.Fatalf("no 'aborted' access log line: %q", logBuf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(h.streams.slots) != 0 {
		t.Errorf("%d stream slots still taken", len(h.streams.slots))
	}
}

// TestServeAndShutdown: Serve answers, logs one line per request, and
// returns nil once its context ends.
func TestServeAndShutdown(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, Options{})
	var logBuf syncBuffer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, AccessLog(h, &logBuf), ServerOptions{}) }()
	for _, p := range []string{"/nix-cache-info", "/" + strings.Repeat("0", 32) + ".narinfo"} {
		resp, err := http.Get("http://" + ln.Addr().String() + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], " GET /nix-cache-info 200 51 ") ||
		!strings.Contains(lines[1], " GET /"+strings.Repeat("0", 32)+".narinfo 404 ") {
		t.Errorf("access log:\n%s", logBuf.String())
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/nix-cache-info"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKeepAliveAfterNAR: the write deadline of the stall detection does
// not outlive its response — a kept-alive connection used again later
// than StallTimeout still works. (net/http clears a connection's write
// deadline after each response; this guards that the server relies on.)
func TestKeepAliveAfterNAR(t *testing.T) {
	fs := newFake(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, "fake")
		return err
	})
	h, err := New(Options{Store: fs, StallTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	conns := 0
	var mu sync.Mutex
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	for i, p := range []string{fs.narURL(), "/nix-cache-info"} {
		if i > 0 {
			time.Sleep(300 * time.Millisecond)
		}
		resp, err := cl.Get(srv.URL + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", p, resp.StatusCode, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections; the test needs the second request on the first one", conns)
	}
}

// brokenStore fails every lookup with a store error naming a file.
type brokenStore struct{ fakeStore }

func (*brokenStore) QueryPathFromHashPart(context.Context, string) (string, error) {
	return "", fmt.Errorf("querying '/secret/nix/var/nix/db/db.sqlite': disk I/O error")
}

// TestInternalError: a store error is a 500 that tells the client
// nothing about the server's files, and its cause goes to ErrorLog; a
// NAR whose dump fails after the status line is cut and logged too.
func TestInternalError(t *testing.T) {
	var logBuf syncBuffer
	h, err := New(Options{Store: &brokenStore{}, ErrorLog: &logBuf})
	if err != nil {
		t.Fatal(err)
	}
	w := get(t, h, "GET", "/"+hashPart(mainPath)+".narinfo")
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("narinfo on a broken store: %d %q", w.Code, w.Body)
	}
	if !strings.Contains(logBuf.String(), "GET /"+hashPart(mainPath)+".narinfo: querying '/secret/") {
		t.Errorf("error log: %q", logBuf.String())
	}

	var logBuf2 syncBuffer
	fs := newFake(func(ctx context.Context, w io.Writer) error {
		io.WriteString(w, "fa")
		return fmt.Errorf("reading '/secret/file': input/output error")
	})
	h2, err := New(Options{Store: fs, ErrorLog: &logBuf2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h2)
	defer srv.Close()
	resp, err := http.Get(srv.URL + fs.narURL())
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a NAR whose dump failed arrived whole")
	}
	if !strings.Contains(logBuf2.String(), "reading '/secret/file'") {
		t.Errorf("error log: %q", logBuf2.String())
	}
}

// TestSignatureCacheFollowsRegistration: after the path is registered
// anew with other contents, the narinfo carries a signature of the new
// fingerprint, not the remembered one.
func TestSignatureCacheFollowsRegistration(t *testing.T) {
	fs := newFake(func(context.Context, io.Writer) error { return nil })
	key, _, err := narinfo.GenerateKey("cache-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Store: fs, Keys: []narinfo.SecretKey{key}})
	if err != nil {
		t.Fatal(err)
	}
	for i, content := range []string{"first", "second", "first"} {
		sum := sha256.Sum256([]byte(content))
		fs.info = &store.PathInfo{Path: mainPath, NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum[:]}, NarSize: uint64(len(content))}
		w := get(t, h, "GET", "/"+hashPart(mainPath)+".narinfo")
		ni, err := narinfo.Parse("/nix/store", w.Body.Bytes())
		if err != nil {
			t.Fatalf("round %d: %v\n%s", i, err, w.Body)
		}
		if n, err := ni.CheckSignatures([]narinfo.PublicKey{key.Public()}); n != 1 || err != nil {
			t.Errorf("round %d (%s): %d good signatures (%v)", i, content, n, err)
		}
	}
}
