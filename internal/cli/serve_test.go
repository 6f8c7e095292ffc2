package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/format/narinfo"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeCommand runs `gonix serve` in-process on a store made with
// `gonix nix-store --add`: it announces its address, serves a signed
// narinfo (key from NIX_SECRET_KEY_FILE), logs each request, and exits 0
// when its context ends.
func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	storeDir := filepath.Join(dir, "store")
	src := filepath.Join(dir, "hello.txt")
	os.WriteFile(src, []byte("hello\n"), 0o644)
	r := run(t, "gonix", "nix-store", "--store", storeDir, "--add", src)
	if r.status != 0 {
		t.Fatalf("nix-store --add: %+v", r)
	}
	path := strings.TrimSpace(r.stdout)
	sk, pk, err := narinfo.GenerateKey("cli-serve-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "sec.key")
	os.WriteFile(keyFile, []byte(sk.String()), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	env := map[string]string{"HOME": t.TempDir(), "NIX_SECRET_KEY_FILE": keyFile}
	e := &Env{
		Context: ctx, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	done := make(chan int, 1)
	go func() {
		done <- Run(e, []string{"gonix", "serve", "--store", storeDir, "--listen", "127.0.0.1:0", "--priority", "50"})
	}()
	addrRe := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+) `)
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == ""; {
		if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case status := <-done:
			t.Fatalf("serve exited with %d: %s", status, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address announced: %q", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	body := func(p string) string {
		resp, err := http.Get(url + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := body("/nix-cache-info"); got != "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 50\n" {
		t.Errorf("nix-cache-info: %q", got)
	}
	ni, err := narinfo.Parse("/nix/store", []byte(body("/"+path[len("/nix/store/"):][:32]+".narinfo")))
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := ni.Fingerprint()
	if ni.StorePath != path || !narinfo.Verify(fp, ni.Sigs[0], []narinfo.PublicKey{pk}) {
		t.Errorf("narinfo for %s: %+v", path, ni)
	}
	cancel()
	select {
	case status := <-done:
		if status != 0 {
			t.Errorf("serve exited with %d after its context ended: %s", status, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
	if !strings.Contains(stderr.String(), " GET /nix-cache-info 200 51 ") {
		t.Errorf("no access log line: %s", stderr.String())
	}
	// The server never writes: no lock or temporary-root files appear.
	if _, err := os.Stat(filepath.Join(storeDir, "nix/var/nix/temproots")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(storeDir, "nix/var/nix/temproots"))
		if len(entries) != 0 {
			t.Errorf("serve left temporary roots: %v", entries)
		}
	}
}

func TestServeFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"--priority", "0"}, "error: flag '--priority' requires an integer of at least 1, not '0'\nTry 'serve --help' for more information.\n"},
		{[]string{"--max-streams", "0"}, "error: flag '--max-streams' requires an integer of at least 1, not '0'\nTry 'serve --help' for more information.\n"},
		{[]string{"extra"}, "error: unexpected argument 'extra'\nTry 'serve --help' for more information.\n"},
		{[]string{"--store", "/nonexistent-gonix-store", "--compression", "gzip"}, ""},
	} {
		r := run(t, append([]string{"gonix", "serve"}, tc.argv...)...)
		if r.status != 1 {
			t.Errorf("%v: status %d, want 1", tc.argv, r.status)
		}
		if tc.want != "" && r.stderr != tc.want {
			t.Errorf("%v: stderr %q, want %q", tc.argv, r.stderr, tc.want)
		}
		if tc.want == "" && !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%v: stderr %q", tc.argv, r.stderr)
		}
	}
	if r := run(t, "gonix", "serve", "--help"); r.status != 0 || !strings.Contains(r.stdout, "--secret-key-file FILE") {
		t.Errorf("--help: %+v", r)
	}
}
