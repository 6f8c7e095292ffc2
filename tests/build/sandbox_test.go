package build

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/store/local"
	"gonix/internal/testutil"
)

// recorder is a loopback HTTP server that serves fixed bytes at /f and
// remembers every path asked for.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T, body string) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.URL.Path)
		rec.mu.Unlock()
		fmt.Fprint(w, body)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) asked(p string) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range rec.seen {
		if s == p {
			return true
		}
	}
	return false
}

// TestSandboxLoopback: a builder of an ordinary derivation has its own
// network namespace and cannot reach a server on the host's loopback; the
// same probe in a fixed-output derivation (which keeps the host's network,
// as in Nix) does reach it, which shows the probe itself works.
func TestSandboxLoopback(t *testing.T) {
	requireSandbox(t)
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testutil.Missing(t, "/bin/busybox (wget for the builder)", err)
	}
	rec := newRecorder(t, "hello\n")
	probe := func(p string) string {
		// No -q nor -T: with either, Debian's busybox wget crashes
		// (SIGSEGV) after connecting, in Nix's sandbox as well as in gonix's.
		return fmt.Sprintf(`if /bin/busybox wget -O /dev/null %s%s; then echo reached > $out; else echo unreachable > $out; fi`, rec.srv.URL, p)
	}
	dir := tempDir(t)
	writeFile(t, dir, "net.nix", fmt.Sprintf(`let
  %s
in {
  plain = mk "probe-plain" %q;
  fixed = derivation {
    name = "probe-fixed";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" %q ];
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = builtins.hashString "sha256" "reached\n";
  };
}
`, mkdrv, probe("/plain"), probe("/fixed")))
	root := filepath.Join(dir, "store")

	r := gonixBuild(t, dir, root, "--no-out-link", "net.nix", "-A", "plain")
	if r.code != 0 {
		t.Fatalf("the plain probe fails to build:\n%s", r)
	}
	out := lines(r.stdout)
	if len(out) != 1 {
		t.Fatalf("want one output path:\n%s", r)
	}
	if b, err := os.ReadFile(realPath(root, out[0])); err != nil || string(b) != "unreachable\n" {
		t.Errorf("the plain derivation's builder says %q (%v), want unreachable", b, err)
	}
	if rec.asked("/plain") {
		t.Errorf("the server on the host's loopback got a request from an ordinary derivation's builder")
	}

	r = gonixBuild(t, dir, root, "--no-out-link", "net.nix", "-A", "fixed")
	if r.code != 0 {
		t.Fatalf("the fixed-output probe fails to build (it must reach %s):\n%s", rec.srv.URL, r)
	}
	if !rec.asked("/fixed") {
		t.Errorf("the fixed-output builder succeeded without asking the server")
	}
}

// TestFetchurlLoopback: <nix/fetchurl.nix> (builtin:fetchurl, run by gonix)
// fetches from a loopback server into the expected fixed-output path; a
// wrong hash fails with Nix's message, and nothing becomes valid.
func TestFetchurlLoopback(t *testing.T) {
	requireSandbox(t)
	const body = "fetched by a fixed-output derivation\n"
	rec := newRecorder(t, body)
	good := hash.Sum(hash.SHA256, []byte(body))
	bad := hash.Sum(hash.SHA256, []byte("something else"))
	dir := tempDir(t)
	writeFile(t, dir, "fetch.nix", fmt.Sprintf(`{ sha256 }: import <nix/fetchurl.nix> { url = "%s/f"; inherit sha256; }
`, rec.srv.URL))
	expected := func(h hash.Hash) string {
		p, err := storepath.MakeFixedOutputPath("/nix/store", "f", false, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("good", func(t *testing.T) {
		root := filepath.Join(dir, "store-good")
		r := gonixBuild(t, dir, root, "--no-out-link", "fetch.nix", "--argstr", "sha256", good.Base32())
		if r.code != 0 {
			t.Fatalf("fetch fails:\n%s", r)
		}
		want := expected(good)
		if got := strings.TrimSpace(r.stdout); got != want {
			t.Errorf("printed %q, want %q", got, want)
		}
		if b, err := os.ReadFile(realPath(root, want)); err != nil || string(b) != body {
			t.Errorf("%s holds %q (%v), want %q", want, b, err, body)
		}
		if !rec.asked("/f") {
			t.Errorf("the server was not asked for /f")
		}
		if !isValid(t, root, want) {
			t.Errorf("%s is not valid after the fetch", want)
		}
	})

	t.Run("mismatch", func(t *testing.T) {
		root := filepath.Join(dir, "store-bad")
		r := gonixBuild(t, dir, root, "--no-out-link", "fetch.nix", "--argstr", "sha256", bad.Base32())
		if r.code == 0 {
			t.Fatalf("a wrong hash builds:\n%s", r)
		}
		re := regexp.MustCompile(`error: hash mismatch in fixed-output derivation '/nix/store/[0-9a-z]{32}-f\.drv':\n\s+specified: (\S+)\n\s+got:\s+(\S+)\n`)
		m := re.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no hash mismatch message in Nix's words:\n%s", r)
		}
		if m[1] != bad.SRI() || m[2] != good.SRI() {
			t.Errorf("specified %s, got %s; want %s and %s", m[1], m[2], bad.SRI(), good.SRI())
		}
		if p := expected(bad); isValid(t, root, p) {
			t.Errorf("%s (the specified hash's path) is valid after the hash mismatch", p)
		} else if _, err := os.Lstat(realPath(root, p)); err == nil {
			t.Errorf("%s (the specified hash's path) exists after the hash mismatch", p)
		}
		// Nix 2.8 keeps what was fetched, registered under the path of the
		// hash it got (nix-build of the same expression leaves it valid).
		if p := expected(good); !isValid(t, root, p) {
			t.Errorf("%s (the path of the hash got) is not valid after the mismatch; Nix 2.8 registers it", p)
		}
		// Nix 2.8 exits with 102 when the only failure is a hash mismatch
		// (100 plus the hash-mismatch bit).
		if r.code != 102 {
			t.Errorf("exit status %d, Nix 2.8 exits with 102 on a fixed-output hash mismatch", r.code)
		}
	})
}

// isValid opens the chroot store root and asks whether p is valid.
func isValid(t *testing.T, root, p string) bool {
	t.Helper()
	ctx := context.Background()
	s, err := local.Open(ctx, local.Options{Root: root})
	if err != nil {
		t.Fatalf("open store %s: %v", root, err)
	}
	defer s.Close()
	ok, err := s.IsValidPath(ctx, p)
	if err != nil {
		t.Fatalf("is %s valid: %v", p, err)
	}
	return ok
}
