package subst

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonix/internal/format/export"
	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
	"gonix/internal/testutil"
)

// env holds the tools and a cache Nix 2.8 wrote.
type env struct {
	gonix, nix, nixStore string
	dir                  string
	pub, otherPub        string
	top                  string // the closure's top path
	closure              []string
}

func run(t *testing.T, dir string, name string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, ".cache"), "NIX_REMOTE=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

func mustRun(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, stderr, err := run(t, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr)
	}
	return out
}

// closureExport is an export stream (nix-store --export) of 60
// input-addressed paths: each refers to the one before it and to one
// further down, so the closure of the last is all 60. Unlike toFile's text
// paths they carry no content address, so only signatures vouch for them.
func closureExport(t *testing.T) ([]byte, string) {
	var paths []string
	for i := range 60 {
		sum := sha256.Sum256([]byte(fmt.Sprintf("gonix-subst-test-%d", i)))
		paths = append(paths, fmt.Sprintf("/nix/store/%s-p-%d", nixbase32.EncodeToString(sum[:20]), i))
	}
	var buf bytes.Buffer
	w := export.NewWriter(&buf, "/nix/store")
	for i, p := range paths {
		var refs []string
		text := fmt.Sprintf("path %d\n", i)
		if i > 0 {
			refs = append(refs, paths[i-1])
			text += paths[i-1] + "\n"
		}
		if i > 1 {
			refs = append(refs, paths[i/2])
			text += paths[i/2] + "\n"
		}
		text += strings.Repeat(fmt.Sprintf("filler %d\n", i), i*200)
		var n bytes.Buffer
		if err := nar.DumpBytes(&n, []byte(text), false); err != nil {
			t.Fatal(err)
		}
		if err := w.WritePath(export.Entry{Path: p, References: refs}, &n); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), paths[len(paths)-1]
}

func setup(t *testing.T) *env {
	e := &env{
		nix:      testutil.NixTool(t, "nix"),
		nixStore: testutil.NixTool(t, "nix-store"),
		dir:      t.TempDir(),
	}
	e.gonix = filepath.Join(e.dir, "gonix")
	if out, err := exec.Command("go", "build", "-o", e.gonix, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		t.Fatalf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	d := e.dir
	mustRun(t, d, e.nixStore, "--store", "dummy://", "--generate-binary-cache-key", "k1", "sk1", "pk1")
	mustRun(t, d, e.nixStore, "--store", "dummy://", "--generate-binary-cache-key", "k2", "sk2", "pk2")
	pub, _ := os.ReadFile(filepath.Join(d, "pk1"))
	other, _ := os.ReadFile(filepath.Join(d, "pk2"))
	e.pub, e.otherPub = string(pub), string(other)
	stream, top := closureExport(t)
	cmd := exec.Command(e.nixStore, "--store", filepath.Join(d, "src"), "--import")
	cmd.Stdin = bytes.NewReader(stream)
	cmd.Env = append(os.Environ(), "HOME="+d, "NIX_REMOTE=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nix-store --import: %v\n%s", err, out)
	}
	e.top = top
	e.closure = strings.Fields(mustRun(t, d, e.nixStore, "--store", filepath.Join(d, "src"), "-qR", e.top))
	if len(e.closure) < 50 {
		t.Fatalf("closure of %s has %d paths, want at least 50", e.top, len(e.closure))
	}
	for _, comp := range []string{"xz", "zstd"} {
		mustRun(t, d, e.nix, "--extra-experimental-features", "nix-command", "copy", "--store", filepath.Join(d, "src"),
			"--to", fmt.Sprintf("file://%s/cache-%s?compression=%s&secret-key=%s/sk1", d, comp, comp, d), e.top)
	}
	return e
}

// substitute realises e.top into a fresh store from url and checks it.
func (e *env) substitute(t *testing.T, url, key string) (string, string, error) {
	store := filepath.Join(t.TempDir(), "dst")
	_, stderr, err := run(t, e.dir, e.gonix, "nix-store", "--store", store, "-r", e.top,
		"--option", "substituters", url, "--option", "trusted-public-keys", key)
	return store, stderr, err
}

func TestSubstituteFromNixCache(t *testing.T) {
	e := setup(t)
	for _, comp := range []string{"xz", "zstd"} {
		dir := filepath.Join(e.dir, "cache-"+comp)
		srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
		defer srv.Close()
		for _, url := range []string{"file://" + dir, srv.URL} {
			t.Run(comp+" "+strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
				store, stderr, err := e.substitute(t, url, e.pub)
				if err != nil {
					t.Fatalf("gonix nix-store -r from %s: %v\n%s", url, err, stderr)
				}
				if !strings.Contains(stderr, fmt.Sprintf("these %d paths will be fetched", len(e.closure))) {
					t.Errorf("stderr does not announce %d paths:\n%s", len(e.closure), stderr)
				}
				if n := strings.Count(stderr, "copying path '"); n != len(e.closure) {
					t.Errorf("copied %d paths, want %d", n, len(e.closure))
				}
				got := strings.Fields(mustRun(t, e.dir, e.gonix, "nix-store", "--store", store, "-qR", e.top))
				if strings.Join(got, " ") != strings.Join(e.closure, " ") {
					t.Errorf("closure in the new store:\n%v\nwant\n%v", got, e.closure)
				}
				mustRun(t, e.dir, e.gonix, "nix-store", "--store", store, "--verify", "--check-contents")
				// Nix 2.8 reads the same store and agrees.
				mustRun(t, e.dir, e.nixStore, "--store", store, "--verify", "--check-contents")
				src := mustRun(t, e.dir, e.nixStore, "--store", filepath.Join(e.dir, "src"), "--dump-db", e.top)
				dst := mustRun(t, e.dir, e.nixStore, "--store", store, "--dump-db", e.top)
				if src != dst {
					t.Errorf("registration differs from the source store's:\n%s\nwant\n%s", dst, src)
				}
			})
		}
	}
}

func TestSubstituteRefusals(t *testing.T) {
	e := setup(t)
	dir := filepath.Join(e.dir, "cache-xz")
	t.Run("foreign key", func(t *testing.T) {
		store, stderr, err := e.substitute(t, "file://"+dir, e.otherPub)
		if err == nil {
			t.Fatalf("substitution with a foreign key succeeded:\n%s", stderr)
		}
		want := fmt.Sprintf("warning: the substitute for '%s' from 'file://%s' is not signed by any of the keys in 'trusted-public-keys'", e.top, dir)
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, fmt.Sprintf("error: build of '%s' failed", e.top)) {
			t.Errorf("stderr:\n%s\nwant it to contain\n%s", stderr, want)
		}
		assertNothingRegistered(t, e, store)
	})
	t.Run("unsigned", func(t *testing.T) {
		bare := filepath.Join(t.TempDir(), "bare")
		mustRun(t, e.dir, e.nix, "--extra-experimental-features", "nix-command", "copy", "--store", filepath.Join(e.dir, "src"),
			"--to", "file://"+bare, e.top)
		store, stderr, err := e.substitute(t, "file://"+bare, e.pub)
		if err == nil || !strings.Contains(stderr, "is not signed by any of the keys") {
			t.Fatalf("unsigned cache accepted (err %v):\n%s", err, stderr)
		}
		assertNothingRegistered(t, e, store)
	})
	t.Run("tampered NAR", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		mustRun(t, e.dir, e.nix, "--extra-experimental-features", "nix-command", "copy", "--store", filepath.Join(e.dir, "src"),
			"--to", fmt.Sprintf("file://%s?compression=none&secret-key=%s/sk1", bad, e.dir), e.top)
		ni, err := os.ReadFile(filepath.Join(bad, filepath.Base(e.top)[:32]+".narinfo"))
		if err != nil {
			t.Fatal(err)
		}
		var url string
		for _, l := range strings.Split(string(ni), "\n") {
			if u, ok := strings.CutPrefix(l, "URL: "); ok {
				url = u
			}
		}
		nar := filepath.Join(bad, url)
		data, err := os.ReadFile(nar)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(data, []byte("filler 59"))
		if i < 0 {
			t.Fatalf("NAR %s does not hold the text", nar)
		}
		data[i] = 'P'
		if err := os.WriteFile(nar, data, 0o644); err != nil {
			t.Fatal(err)
		}
		store, stderr, err := e.substitute(t, "file://"+bad, e.pub)
		if err == nil {
			t.Fatalf("tampered NAR accepted:\n%s", stderr)
		}
		if !strings.Contains(stderr, "hash mismatch") || !strings.Contains(stderr, e.top) {
			t.Errorf("stderr does not explain the hash mismatch:\n%s", stderr)
		}
		out := mustRun(t, e.dir, e.gonix, "nix-store", "--store", store, "--check-validity", "--print-invalid", e.top)
		if out != e.top {
			t.Errorf("tampered path is valid in the store")
		}
		mustRun(t, e.dir, e.gonix, "nix-store", "--store", store, "--verify", "--check-contents")
	})
	t.Run("wrong NarHash", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		mustRun(t, e.dir, e.nix, "--extra-experimental-features", "nix-command", "copy", "--store", filepath.Join(e.dir, "src"),
			"--to", fmt.Sprintf("file://%s?compression=none", bad), e.top)
		name := filepath.Join(bad, filepath.Base(e.top)[:32]+".narinfo")
		ni, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(ni), "\n") {
			if strings.HasPrefix(l, "NarHash: ") {
				l = "NarHash: sha256:0000000000000000000000000000000000000000000000000000"
			}
			lines = append(lines, l)
		}
		if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		store := filepath.Join(t.TempDir(), "dst")
		_, stderr, err := run(t, e.dir, e.gonix, "nix-store", "--store", store, "-r", e.top,
			"--option", "substituters", "file://"+bad, "--option", "require-sigs", "false")
		if err == nil || !strings.Contains(stderr, "hash mismatch") {
			t.Fatalf("wrong NarHash accepted (err %v):\n%s", err, stderr)
		}
		out := mustRun(t, e.dir, e.gonix, "nix-store", "--store", store, "--check-validity", "--print-invalid", e.top)
		if out != e.top {
			t.Errorf("path with a wrong NarHash is valid in the store")
		}
	})
}

// assertNothingRegistered checks that a refused substitution left no
// path of the closure valid.
func assertNothingRegistered(t *testing.T, e *env, store string) {
	t.Helper()
	if _, err := os.Stat(store); err != nil {
		return
	}
	out := mustRun(t, e.dir, e.gonix, "nix-store", "--store", store, "--check-validity", "--print-invalid", e.top)
	if out != e.top {
		t.Errorf("%s is valid after a refused substitution", e.top)
	}
}

// chainNix is three derivations, c depending on a and b, b on a.
const chainNix = `
let
  mk = name: deps: derivation {
    inherit name; system = builtins.currentSystem; builder = "/bin/sh";
    args = [ "-c" "echo ${name} > $out; ${builtins.concatStringsSep ";" (map (d: "echo ${d} >> $out") deps)}" ];
  };
  a = mk "a" [];
  b = mk "b" [ a ];
in mk "c" [ a b ]
`

// TestFallback: derivations whose outputs are in a cache are substituted
// instead of built; a tampered NAR fails the build with Nix's advice to use
// --fallback (exit status 1), --fallback builds instead, and a cache signed
// by an untrusted key is passed over with a warning and everything built.
func TestFallback(t *testing.T) {
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (sandboxed builds in chroot stores)", os.ErrPermission)
	}
	e := setup(t)
	d := e.dir
	if err := os.WriteFile(filepath.Join(d, "chain.nix"), []byte(chainNix), 0o644); err != nil {
		t.Fatal(err)
	}
	sandbox := []string{"--option", "sandbox", "true", "--option", "sandbox-paths", "/bin /lib /lib64 /usr", "--option", "build-users-group", ""}
	src := filepath.Join(d, "chainsrc")
	top := mustRun(t, d, testutil.NixTool(t, "nix-build"), append([]string{"--store", src, "chain.nix", "--no-out-link", "--option", "substituters", ""}, sandbox...)...)
	cache := filepath.Join(d, "chaincache")
	mustRun(t, d, e.nix, "--extra-experimental-features", "nix-command", "copy", "--store", src,
		"--to", fmt.Sprintf("file://%s?compression=none&secret-key=%s/sk1", cache, d), top)
	build := func(t *testing.T, key string, extra ...string) (string, string, error) {
		store := filepath.Join(t.TempDir(), "dst")
		args := append([]string{"nix-build", "--store", store, "chain.nix", "--no-out-link",
			"--option", "substituters", "file://" + cache, "--option", "trusted-public-keys", key}, sandbox...)
		return run(t, d, e.gonix, append(args, extra...)...)
	}
	t.Run("substituted", func(t *testing.T) {
		out, stderr, err := build(t, e.pub)
		if err != nil || out != top {
			t.Fatalf("nix-build: %v, printed %q\n%s", err, out, stderr)
		}
		if strings.Contains(stderr, "building '") || !strings.Contains(stderr, "these 3 paths will be fetched") {
			t.Errorf("expected 3 paths copied and nothing built:\n%s", stderr)
		}
	})
	t.Run("untrusted key builds", func(t *testing.T) {
		out, stderr, err := build(t, e.otherPub)
		if err != nil || out != top {
			t.Fatalf("nix-build: %v, printed %q\n%s", err, out, stderr)
		}
		if strings.Count(stderr, "is not signed by any of the keys in 'trusted-public-keys'") != 3 || strings.Count(stderr, "building '") != 3 {
			t.Errorf("expected one warning per path and 3 builds:\n%s", stderr)
		}
	})
	// Tamper with b's NAR (a plain text file: "b\n/nix/store/...-a\n").
	bOut := ""
	for _, l := range strings.Split(mustRun(t, d, e.nixStore, "--store", src, "-qR", top), "\n") {
		if strings.HasSuffix(l, "-b") {
			bOut = l
		}
	}
	ni, err := os.ReadFile(filepath.Join(cache, filepath.Base(bOut)[:32]+".narinfo"))
	if err != nil {
		t.Fatal(err)
	}
	var url string
	for _, l := range strings.Split(string(ni), "\n") {
		if u, ok := strings.CutPrefix(l, "URL: "); ok {
			url = u
		}
	}
	narFile := filepath.Join(cache, url)
	data, err := os.ReadFile(narFile)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("b\n/nix/store/"))
	if i < 0 {
		t.Fatalf("b's NAR does not hold its text")
	}
	data[i] = 'B'
	if err := os.WriteFile(narFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("tampered without fallback", func(t *testing.T) {
		_, stderr, err := build(t, e.pub)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("nix-build: %v, want exit status 1\n%s", err, stderr)
		}
		for _, want := range []string{
			fmt.Sprintf("hash mismatch importing path '%s'", bOut),
			"failed (usually happens due to networking issues); try '--fallback' to build derivation from source",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
	})
	t.Run("tampered with fallback", func(t *testing.T) {
		out, stderr, err := build(t, e.pub, "--fallback")
		if err != nil || out != top {
			t.Fatalf("nix-build --fallback: %v, printed %q\n%s", err, out, stderr)
		}
		if !strings.Contains(stderr, "building '") {
			t.Errorf("--fallback did not build:\n%s", stderr)
		}
	})
}

// TestNixReadsGonixCaches is the other direction: gonix (having
// substituted the closure) writes a signed cache with `gonix copy` and
// serves its store with `gonix serve`; Nix 2.8 substitutes the closure
// from both and verifies it.
func TestNixReadsGonixCaches(t *testing.T) {
	e := setup(t)
	d := e.dir
	store, stderr, err := e.substitute(t, "file://"+filepath.Join(d, "cache-xz"), e.pub)
	if err != nil {
		t.Fatalf("gonix substitution: %v\n%s", err, stderr)
	}
	nixSubst := func(t *testing.T, url string) {
		dst := filepath.Join(t.TempDir(), "nix")
		_, stderr, err := run(t, d, e.nixStore, "--store", dst, "-r", e.top,
			"--option", "substituters", url, "--option", "trusted-public-keys", e.pub)
		if err != nil {
			t.Fatalf("Nix 2.8 substituting from %s: %v\n%s", url, err, stderr)
		}
		if n := strings.Count(stderr, "copying path '"); n != len(e.closure) {
			t.Errorf("Nix copied %d paths, want %d:\n%s", n, len(e.closure), stderr)
		}
		mustRun(t, d, e.nixStore, "--store", dst, "--verify", "--check-contents")
		src := mustRun(t, d, e.nixStore, "--store", filepath.Join(d, "src"), "--dump-db", e.top)
		if got := mustRun(t, d, e.nixStore, "--store", dst, "--dump-db", e.top); got != src {
			t.Errorf("Nix's registration differs from the source store's")
		}
	}
	for _, comp := range []string{"xz", "zstd"} {
		t.Run("gonix copy "+comp, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "c")
			mustRun(t, d, e.gonix, "copy", "--store", store, "--to",
				fmt.Sprintf("file://%s?compression=%s&secret-key=%s/sk1", cache, comp, d), e.top)
			nixSubst(t, "file://"+cache)
		})
	}
	t.Run("gonix serve", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(e.gonix, "serve", "--store", store, "--listen", addr, "--secret-key-file", filepath.Join(d, "sk1"), "--quiet")
		cmd.Env = append(os.Environ(), "HOME="+d)
		var serr bytes.Buffer
		cmd.Stderr = &serr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/nix-cache-info")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("gonix serve did not answer on %s: %v\n%s", addr, err, serr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		nixSubst(t, "http://"+addr)
	})
}
