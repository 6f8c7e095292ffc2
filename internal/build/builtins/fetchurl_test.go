package builtins

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
)

const helloSHA256 = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=" // "hello\n"

func flatEnv(url string) map[string]string {
	return map[string]string{
		"out": "/nix/store/00000000000000000000000000000000-x", "url": url,
		"outputHashMode": "flat", "outputHashAlgo": "sha256", "outputHash": helloSHA256,
	}
}

func narOf(t *testing.T) []byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sub", "f"), []byte("file\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("sub/f", filepath.Join(dir, "link"))
	var buf bytes.Buffer
	if err := nar.Dump(&buf, dir, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func fastOpts() Options { return Options{RetryBase: time.Millisecond} }

func TestFetchURLPlainAndExecutable(t *testing.T) {
	var agent atomic.Value
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		agent.Store(r.UserAgent())
		w.Write([]byte("hello\n"))
	})
	for _, exe := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		env := flatEnv(srv.URL + "/hello.txt")
		if exe {
			env["executable"] = "1"
		}
		if err := FetchURL(context.Background(), env, out, fastOpts()); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil || string(data) != "hello\n" {
			t.Fatalf("out = %q, %v", data, err)
		}
		fi, _ := os.Stat(out)
		if got := fi.Mode().Perm()&0o111 != 0; got != exe {
			t.Errorf("executable=%v: mode %v", exe, fi.Mode())
		}
	}
	if a, _ := agent.Load().(string); !strings.Contains(a, "Nix/2.8.0") {
		t.Errorf("User-Agent %q", a)
	}
}

func TestFetchURLUnpackNAR(t *testing.T) {
	data := narOf(t)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	out := filepath.Join(t.TempDir(), "out")
	env := flatEnv(srv.URL + "/x.nar")
	env["unpack"] = "1"
	env["outputHashMode"] = "recursive"
	if err := FetchURL(context.Background(), env, out, fastOpts()); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := nar.Dump(&got, out, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Error("restored tree differs from the served NAR")
	}
}

func TestFetchURLUnpackBadNAR(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not a nar at all, not at all")) })
	out := filepath.Join(t.TempDir(), "out")
	env := flatEnv(srv.URL + "/x.nar")
	env["unpack"] = "1"
	err := FetchURL(context.Background(), env, out, fastOpts())
	if err == nil || !strings.Contains(err.Error(), "unpacking the NAR") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}

func TestFetchURLUnpackXZ(t *testing.T) {
	env := flatEnv("http://127.0.0.1:1/x.nar.xz")
	env["unpack"] = "1"
	err := FetchURL(context.Background(), env, filepath.Join(t.TempDir(), "out"), fastOpts())
	if err == nil || !strings.Contains(err.Error(), "xz decompression is not available") {
		t.Fatalf("err = %v", err)
	}
}

func TestFetchURLErrors(t *testing.T) {
	var hits atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
		case "/forbidden":
			w.WriteHeader(403)
		case "/html":
			w.WriteHeader(500)
			w.Write([]byte("<html>" + strings.Repeat("x", 2000) + "</html>\n"))
		case "/loop":
			hits.Add(1)
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	cases := []struct{ path, want string }{
		{"/missing", "unable to download '$U/missing': HTTP error 404 ('Not Found')\n\nresponse body:\n\n404 page not found"},
		{"/forbidden", "unable to download '$U/forbidden': HTTP error 403 ('Forbidden')"},
		{"/html", "unable to download '$U/html': HTTP error 500 ('Internal Server Error')\n\nresponse body:\n\n<html>" + strings.Repeat("x", 2000) + "</html>"},
		{"/loop", "unable to download '$U/loop': Number of redirects hit maximum amount (47)"},
	}
	for _, c := range cases {
		env := flatEnv(srv.URL + c.path)
		out := filepath.Join(t.TempDir(), "out")
		err := FetchURL(context.Background(), env, out, fastOpts())
		want := strings.ReplaceAll(c.want, "$U", srv.URL)
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", c.path, err, want)
		}
		var te *TransferError
		if !errors.As(err, &te) {
			t.Errorf("%s: %T is not a *TransferError", c.path, err)
		}
		if _, err := os.Lstat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output left behind", c.path)
		}
	}
	if n := hits.Load(); n != 11 {
		t.Errorf("redirect loop: %d requests, want 11 (the first and 10 redirects)", n)
	}
}

func TestFetchURLRetries(t *testing.T) {
	var n atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("hello\n"))
	})
	var warnings []string
	opts := fastOpts()
	opts.Warn = func(m string) { warnings = append(warnings, m) }
	out := filepath.Join(t.TempDir(), "out")
	if err := FetchURL(context.Background(), flatEnv(srv.URL+"/x"), out, opts); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.HasPrefix(warnings[0], "error: unable to download '"+srv.URL+"/x': HTTP error 503 ('Service Unavailable')") ||
		!strings.Contains(warnings[0], "; retrying in ") {
		t.Errorf("warnings %q", warnings)
	}

	// Permanent failures are not retried; tries bounds the rest.
	n.Store(-100)
	warnings = nil
	opts.Tries = 3
	err := FetchURL(context.Background(), flatEnv(srv.URL+"/x"), filepath.Join(t.TempDir(), "out"), opts)
	if err == nil || len(warnings) != 2 {
		t.Errorf("err %v, %d warnings", err, len(warnings))
	}
}

func TestFetchURLConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	opts := fastOpts()
	opts.Tries = 2
	err = FetchURL(context.Background(), flatEnv("http://"+addr+"/x"), filepath.Join(t.TempDir(), "out"), opts)
	if want := "unable to download 'http://" + addr + "/x': Couldn't connect to server (7)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestFetchURLRedirect(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		w.Write([]byte("moved\n"))
	})
	out := filepath.Join(t.TempDir(), "out")
	if err := FetchURL(context.Background(), flatEnv(srv.URL+"/old"), out, fastOpts()); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "moved\n" {
		t.Errorf("out = %q", data)
	}
}

func TestFetchURLHashedMirrors(t *testing.T) {
	h, err := hash.Parse(helloSHA256, 0)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path == "/good/sha256/"+h.Base16() {
			w.Write([]byte("hello\n"))
			return
		}
		http.NotFound(w, r)
	})
	opts := fastOpts()
	opts.HashedMirrors = []string{srv.URL + "/bad", srv.URL + "/good/"}
	out := filepath.Join(t.TempDir(), "out")
	env := flatEnv(srv.URL + "/main")
	env["outputHashAlgo"] = "" // the SRI hash names its algorithm
	if err := FetchURL(context.Background(), env, out, opts); err != nil {
		t.Fatal(err)
	}
	want := []string{"/bad/sha256/" + h.Base16(), "/good/sha256/" + h.Base16()}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("requests %q, want %q", paths, want)
	}

	// Recursive outputs do not use the mirrors; a miss falls back to url.
	paths = nil
	env = flatEnv(srv.URL + "/good/sha256/" + h.Base16())
	env["outputHashMode"] = "recursive"
	opts.HashedMirrors = []string{srv.URL + "/bad"}
	if err := FetchURL(context.Background(), env, filepath.Join(t.TempDir(), "out"), opts); err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Errorf("requests %q", paths)
	}
}

func TestFetchURLFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a b.txt")
	os.WriteFile(src, []byte("local\n"), 0o644)
	out := filepath.Join(dir, "out")
	if err := FetchURL(context.Background(), flatEnv("file://"+strings.ReplaceAll(src, " ", "%20")), out, fastOpts()); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "local\n" {
		t.Errorf("out = %q", data)
	}
	err := FetchURL(context.Background(), flatEnv("file://"+dir+"/none"), filepath.Join(dir, "out2"), fastOpts())
	if want := "unable to download 'file://" + dir + "/none': Couldn't read a file:// file (37)"; err == nil || err.Error() != want {
		t.Errorf("err = %v", err)
	}
}

func TestFetchURLMissingAttrs(t *testing.T) {
	for _, c := range []struct{ drop, want string }{
		{"out", "attribute 'out' missing"},
		{"url", "attribute 'url' missing"},
		{"outputHashMode", "attribute 'outputHashMode' missing"},
	} {
		env := flatEnv("file:///dev/null")
		delete(env, c.drop)
		err := FetchURL(context.Background(), env, filepath.Join(t.TempDir(), "out"), fastOpts())
		if err == nil || err.Error() != c.want {
			t.Errorf("without %s: %v", c.drop, err)
		}
	}
}

func TestFetchURLCancel(t *testing.T) {
	release := make(chan struct{})
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	err := FetchURL(ctx, flatEnv(srv.URL+"/slow"), out, fastOpts())
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "was interrupted") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Error("partial output left behind")
	}
}
