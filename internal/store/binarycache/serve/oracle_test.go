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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
	"gonix/internal/testutil"
)

// nixCmd runs a Nix 2.8 tool with HOME (and so its narinfo disk cache) in
// a temporary directory.
func nixCmd(home, tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// buildClosure fills a fresh store at root with a closure of 55 paths:
// two text paths (content-addressed, one referring to the other), a
// directory tree added recursively, and input-addressed paths (as build
// outputs are, unsigned in the store): one referring to those and to
// itself, a chain of 50 after it and a top path. It returns the top path
// and every path.
func buildClosure(t *testing.T, root string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	st, err := local.Open(ctx, local.Options{Root: root, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.AddText(ctx, "a", "alpha\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.AddText(ctx, "b", "beta refers to "+a+"\n", []string{a})
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "tree/sub"), 0o755)
	os.WriteFile(filepath.Join(src, "tree/sub/exe"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	os.WriteFile(filepath.Join(src, "tree/data"), bytes.Repeat([]byte("0123456789"), 30000), 0o644)
	os.Symlink("sub/exe", filepath.Join(src, "tree/link"))
	tree, err := st.AddToStore(ctx, "tree", filepath.Join(src, "tree"), store.Recursive, hash.SHA256, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addIA := func(name string, content []byte, refs []string, self bool) string {
		digest := sha256.Sum256(append([]byte(name), content...))
		p, err := storepath.MakeStorePath(st.StoreDir(), "output:out", digest[:], name)
		if err != nil {
			t.Fatal(err)
		}
		if self {
			content = append(content, []byte(p)...)
			refs = append(refs, p)
		}
		var n bytes.Buffer
		if err := nar.DumpBytes(&n, content, false); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(n.Bytes())
		info := &store.PathInfo{Path: p, NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum[:]},
			NarSize: uint64(n.Len()), References: refs}
		if err := st.AddNAR(ctx, info, bytes.NewReader(n.Bytes())); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lib := addIA("lib", []byte("lib uses "+b+" and "+tree), []string{b, tree}, true)
	all := []string{a, b, tree, lib}
	// A chain of 50 more, so the closure is as large as the issue's
	// interop acceptance asks (at least 50 paths).
	prev := lib
	for i := 0; i < 50; i++ {
		prev = addIA(fmt.Sprintf("link-%02d", i), []byte(fmt.Sprintf("link %d after %s\n", i, prev)), []string{prev}, false)
		all = append(all, prev)
	}
	top := addIA("top", bytes.Repeat([]byte("top uses "+prev+"\n"), 1000), []string{prev}, false)
	return top, append(all, top)
}

// startServer serves the store at root, opened read-only as gonix serve
// opens it, on 127.0.0.1:0 and returns its URL.
func startServer(t *testing.T, root string, opts Options) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := local.Open(ctx, local.Options{Root: root, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	opts.Store = st
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, ServerOptions{ShutdownGrace: time.Second}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		st.Close()
	})
	return "http://" + ln.Addr().String()
}

// TestOracleNixSubstitutes: Nix 2.8 substitutes a closure from the server
// for each compression it serves, with the server's key trusted, and its
// --verify --check-contents passes; under a foreign key of the same name
// it refuses the input-addressed paths and registers nothing of them.
func TestOracleNixSubstitutes(t *testing.T) {
	nixStore := testutil.NixTool(t, "nix-store")
	// nixHome: each subtest gives Nix a HOME of its own. Nix keeps the
	// narinfos it fetched in $XDG_CACHE_HOME/nix, keyed by the cache's
	// URL, and a subtest's server may get the port of an earlier one's:
	// Nix would then ask for the earlier server's NAR files (a CI failure
	// of "br", sent to the .nar.xz of the "xz" server before it).
	home := t.TempDir()
	keyDir := t.TempDir()
	sec, pub := filepath.Join(keyDir, "sec"), filepath.Join(keyDir, "pub")
	if out, err := nixCmd(home, nixStore, "--store", "dummy://", "--generate-binary-cache-key", "gonix-serve-1", sec, pub); err != nil {
		t.Fatalf("generate key: %v\n%s", err, out)
	}
	secText, _ := os.ReadFile(sec)
	key, err := narinfo.ParseSecretKey(string(secText))
	if err != nil {
		t.Fatal(err)
	}
	pubText, _ := os.ReadFile(pub)
	foreign, _, err := narinfo.GenerateKey("gonix-serve-1", nil)
	if err != nil {
		t.Fatal(err)
	}

	srcRoot := t.TempDir()
	top, paths := buildClosure(t, srcRoot)

	for _, comp := range []string{"none", "xz", "zstd", "bzip2", "br"} {
		t.Run(comp, func(t *testing.T) {
			home := t.TempDir() // see nixHome above
			url := startServer(t, srcRoot, Options{Compression: comp, Keys: []narinfo.SecretKey{key}})
			dst := t.TempDir()
			out, err := nixCmd(home, nixStore, "--store", dst, "-r", top,
				"--option", "substituters", url,
				"--option", "trusted-public-keys", string(pubText))
			if err != nil {
				t.Fatalf("nix-store -r from %s: %v\n%s", url, err, out)
			}
			out, err = nixCmd(home, nixStore, "--store", dst, "--verify", "--check-contents", "--option", "substituters", "")
			if err != nil || strings.Contains(out, "error") || strings.Contains(out, "modified") {
				t.Fatalf("verify: %v\n%s", err, out)
			}
			out, err = nixCmd(home, nixStore, "--store", dst, "-qR", top, "--option", "substituters", "")
			if err != nil {
				t.Fatalf("query closure: %v\n%s", err, out)
			}
			got := strings.Fields(out)
			if len(got) != len(paths) {
				t.Errorf("closure in the destination: %v, want %v", got, paths)
			}
			// Every path's NAR hash in Nix's store equals the source's.
			q := append([]string{"-q", "--hash", "--option", "substituters", ""}, paths...)
			hd, err := nixCmd(home, nixStore, append([]string{"--store", dst}, q...)...)
			if err != nil {
				t.Fatalf("-q --hash: %v\n%s", err, hd)
			}
			hs, err := nixCmd(home, nixStore, append([]string{"--store", srcRoot}, q...)...)
			if err != nil || hd != hs {
				t.Errorf("hashes in the destination:\n%s\nin the source:\n%s(%v)", hd, hs, err)
			}
		})
	}

	t.Run("foreign-key", func(t *testing.T) {
		home := t.TempDir() // see nixHome above
		url := startServer(t, srcRoot, Options{Keys: []narinfo.SecretKey{foreign}})
		dst := t.TempDir()
		out, err := nixCmd(home, nixStore, "--store", dst, "-r", top,
			"--option", "substituters", url,
			"--option", "trusted-public-keys", string(pubText))
		if err == nil {
			t.Fatalf("Nix substituted %s signed by a foreign key:\n%s", top, out)
		}
		if !strings.Contains(out, "is not signed by any of the keys in 'trusted-public-keys'") {
			t.Errorf("Nix failed for another reason than the signature:\n%s", out)
		}
		ia := paths[3:] // the input-addressed ones
		args := append([]string{"--store", dst, "--check-validity", "--print-invalid", "--option", "substituters", ""}, ia...)
		o, err := nixCmd(home, nixStore, args...)
		if err != nil || len(strings.Fields(o)) != len(ia) {
			t.Errorf("of %d input-addressed paths, Nix says these are invalid (%v):\n%s", len(ia), err, o)
		}
	})

	// nix log reads a build log from the server: Nix 2.8 writes a .drv
	// into the served store, the log lies where the local store keeps
	// logs, and `nix log --store URL` fetches log/<drv>.
	t.Run("log", func(t *testing.T) {
		home := t.TempDir() // see nixHome above
		nixInst := testutil.NixTool(t, "nix-instantiate")
		nix := testutil.NixTool(t, "nix")
		out, err := nixCmd(home, nixInst, "--store", srcRoot, "--option", "substituters", "",
			"-E", `derivation { name = "logged"; system = "x86_64-linux"; builder = "/bin/sh"; }`)
		if err != nil {
			t.Fatalf("nix-instantiate: %v\n%s", err, out)
		}
		fields := strings.Fields(out) // stdout and stderr (a warning) together
		drv := fields[len(fields)-1]
		base := filepath.Base(drv)
		logDir := filepath.Join(srcRoot, "nix/var/log/nix")
		logFile := filepath.Join(logDir, "drvs", base[:2], base[2:])
		os.MkdirAll(filepath.Dir(logFile), 0o755)
		os.WriteFile(logFile, []byte("line one\nline two\n"), 0o644)
		url := startServer(t, srcRoot, Options{LogDir: logDir})
		out, err = nixCmd(home, nix, "--extra-experimental-features", "nix-command", "log",
			"--store", url, "--option", "substituters", "", drv)
		if err != nil || !strings.HasSuffix(out, "\nline one\nline two\n") {
			t.Errorf("nix log --store %s %s: %v\n%q", url, drv, err, out)
		}
	})
	// A NAR download cut halfway resumes: a proxy in front of the server
	// breaks the first response for every NAR after half its bytes; Nix
	// retries with "Range: bytes=N-" (the server says Accept-Ranges) and
	// the closure still verifies.
	t.Run("resume", func(t *testing.T) {
		home := t.TempDir() // see nixHome above
		upstream := startServer(t, srcRoot, Options{Keys: []narinfo.SecretKey{key}})
		var mu sync.Mutex
		cut, resumed := map[string]bool{}, map[string]bool{}
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.Path, nil)
			if err != nil {
				panic(err)
			}
			req.Header = r.Header.Clone()
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			limit := int64(-1)
			if strings.HasPrefix(r.URL.Path, "/nar/") {
				mu.Lock()
				if r.Header.Get("Range") != "" && resp.StatusCode == http.StatusPartialContent {
					resumed[r.URL.Path] = true
				} else if !cut[r.URL.Path] && resp.StatusCode == http.StatusOK {
					cut[r.URL.Path] = true
					limit = resp.ContentLength / 2
				}
				mu.Unlock()
			}
			if limit < 0 {
				io.Copy(w, resp.Body)
				return
			}
			io.CopyN(w, resp.Body, limit)
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler)
		}))
		defer proxy.Close()
		dst := t.TempDir()
		lib, libClosure := paths[3], paths[:4] // a, b, tree, lib: 4 NARs, each cut once
		out, err := nixCmd(home, nixStore, "--store", dst, "-r", lib,
			"--option", "substituters", proxy.URL,
			"--option", "trusted-public-keys", string(pubText))
		if err != nil {
			t.Fatalf("nix-store -r through the cutting proxy: %v\n%s", err, out)
		}
		if out, err := nixCmd(home, nixStore, "--store", dst, "--verify", "--check-contents", "--option", "substituters", ""); err != nil {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(cut) != len(libClosure) || len(resumed) != len(libClosure) {
			t.Errorf("%d NARs cut, %d resumed with a Range request; want %d each\n%s", len(cut), len(resumed), len(libClosure), out)
		}
	})
}
