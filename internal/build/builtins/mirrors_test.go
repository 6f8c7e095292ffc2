package builtins

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMirrorLookup(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/apt/sources.list.d"), 0o755)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(root, "etc/apt", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := MirrorConfig{AptRoot: root, Getenv: func(string) string { return "" }}
	if d := cmp.Diff([]string{DefaultDebianMirror}, cfg.Lookup("debian")); d != "" {
		t.Errorf("no apt sources (-want +got):\n%s", d)
	}
	write("sources.list.d/debian.sources", `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
`)
	write("sources.list", "# comment\ndeb [arch=amd64 signed-by=/k.gpg] https://other.example/debian bookworm main\ndeb http://sec.example/x bookworm-security main\n")
	want := []string{"https://other.example/debian", "http://mirror.example/debian"}
	if d := cmp.Diff(want, cfg.Lookup("debian")); d != "" {
		t.Errorf("apt sources (-want +got):\n%s", d)
	}
	cfg.Getenv = func(k string) string {
		return map[string]string{"GONIX_MIRROR_DEBIAN": "http://a/ http://b", "GONIX_MIRROR_GNU_X": "http://g"}[k]
	}
	if d := cmp.Diff([]string{"http://a/", "http://b"}, cfg.Lookup("debian")); d != "" {
		t.Errorf("GONIX_MIRROR_DEBIAN (-want +got):\n%s", d)
	}
	urls, err := ExpandMirror("mirror://gnu-x/hello/hello-2.10.tar.gz", cfg.Lookup)
	if err != nil || len(urls) != 1 || urls[0] != "http://g/hello/hello-2.10.tar.gz" {
		t.Errorf("gnu-x: %q, %v", urls, err)
	}
	if _, err := ExpandMirror("mirror://nope/x", cfg.Lookup); err == nil || !strings.Contains(err.Error(), "GONIX_MIRROR_NOPE") {
		t.Errorf("unknown mirror: %v", err)
	}
	if u, err := ExpandMirror("https://h/x", nil); err != nil || len(u) != 1 || u[0] != "https://h/x" {
		t.Errorf("plain URL: %q, %v", u, err)
	}
}

// TestFetchURLMirror: a mirror:// URL is tried at each base in turn; a
// 404 at the first moves on to the second.
func TestFetchURLMirror(t *testing.T) {
	var hits []string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		if strings.HasPrefix(r.URL.Path, "/bad/") {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("hello\n"))
	})
	out := filepath.Join(t.TempDir(), "out")
	opts := fastOpts()
	opts.Mirrors = func(name string) []string {
		if name == "debian" {
			return []string{srv.URL + "/bad", srv.URL + "/good/"}
		}
		return nil
	}
	if err := FetchURL(context.Background(), flatEnv("mirror://debian/pool/main/h/hello/x.tar.gz"), out, opts); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "hello\n" {
		t.Errorf("output %q", b)
	}
	if d := cmp.Diff([]string{"/bad/pool/main/h/hello/x.tar.gz", "/good/pool/main/h/hello/x.tar.gz"}, hits); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}
