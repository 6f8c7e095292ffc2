package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// copyFixture is a chroot store holding a → b → c: a is a text path
// (content-addressed), b and c are input-addressed (as build outputs are)
// and unsigned, so signatures matter for them.
type copyFixture struct {
	dir, store string
	paths      []string // a, b, c
	sec, pub   string   // key files
	pubKey     string
}

func newCopyFixture(t *testing.T) *copyFixture {
	t.Helper()
	ctx := context.Background()
	f := &copyFixture{dir: t.TempDir()}
	f.store = filepath.Join(f.dir, "src")
	st, err := local.Open(ctx, local.Options{Root: f.store, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.AddText(ctx, "a", strings.Repeat("0123456789", 1000), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := addInputAddressed(t, st, "b", "b refers to "+a, []string{a})
	c := addInputAddressed(t, st, "c", "c refers to "+b+" and "+a, []string{a, b})
	f.paths = []string{a, b, c}
	sk, pk, err := narinfo.GenerateKey("copy-test-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.sec, f.pub = filepath.Join(f.dir, "sec.key"), filepath.Join(f.dir, "pub.key")
	os.WriteFile(f.sec, []byte(sk.String()), 0o600)
	os.WriteFile(f.pub, []byte(pk.String()), 0o644)
	f.pubKey = pk.String()
	return f
}

func addInputAddressed(t *testing.T, st *local.Store, name, content string, refs []string) string {
	t.Helper()
	ctx := context.Background()
	tmp, err := st.AddText(ctx, "tmp-"+name, content, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nar bytes.Buffer
	if err := st.DumpPath(ctx, tmp, &nar); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(name + content))
	p, err := storepath.MakeStorePath(st.StoreDir(), "output:out", digest[:], name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nar.Bytes())
	info := &store.PathInfo{Path: p, NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum[:]}, NarSize: uint64(nar.Len()), References: refs}
	if err := st.AddNAR(ctx, info, &nar); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *copyFixture) gonix(t *testing.T, stdin string, argv ...string) result {
	t.Helper()
	return runGonixIn(f.dir, []byte(stdin), append([]string{"gonix"}, argv...)...)
}

func (f *copyFixture) must(t *testing.T, argv ...string) result {
	t.Helper()
	r := f.gonix(t, "", argv...)
	if r.status != 0 {
		t.Fatalf("gonix %s: status %d\n%s", strings.Join(argv, " "), r.status, r.stderr)
	}
	return r
}

func pathInfo(t *testing.T, root, p string) (*store.PathInfo, bool) {
	t.Helper()
	st, err := local.Open(context.Background(), local.Options{Root: root, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := st.QueryPathInfo(context.Background(), p)
	if err != nil {
		return nil, false
	}
	return info, true
}

func verifyStore(t *testing.T, root string) {
	t.Helper()
	r := runGonixIn(root, nil, "gonix", "nix-store", "--store", root, "--verify", "--check-contents")
	if r.status != 0 || strings.Contains(r.stderr, "error") {
		t.Errorf("verify %s: %d\n%s", root, r.status, r.stderr)
	}
}

func TestCopy(t *testing.T) {
	f := newCopyFixture(t)
	a, b, c := f.paths[0], f.paths[1], f.paths[2]
	cache := filepath.Join(f.dir, "cache")

	r := f.must(t, "copy", "--store", f.store, "--to", "file://"+cache+"?compression=zstd", c)
	want := "copying 3 paths...\n"
	if !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "copying path '") != 3 ||
		!strings.Contains(r.stderr, "copying path '"+b+"' to 'file://"+cache+"'...\n") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	for _, p := range f.paths {
		hp := strings.SplitN(strings.TrimPrefix(p, "/nix/store/"), "-", 2)[0]
		data, err := os.ReadFile(filepath.Join(cache, hp+".narinfo"))
		if err != nil || !strings.Contains(string(data), "Compression: zstd\n") || strings.Contains(string(data), "Sig:") {
			t.Errorf("narinfo of %s: %v\n%s", p, err, data)
		}
	}
	// Everything is there: nothing to say.
	if r := f.must(t, "nix", "copy", "--store", f.store, "--to", "file://"+cache, c); r.stderr != "" {
		t.Errorf("second copy: %q", r.stderr)
	}

	// Unsigned input-addressed paths are refused by a local store...
	d1 := filepath.Join(f.dir, "d1")
	r = f.gonix(t, "", "copy", "--from", "file://"+cache, "--to", d1, c)
	if r.status != 1 || !strings.Contains(r.stderr, "cannot add path '"+b+"' because it lacks a valid signature") {
		t.Errorf("unsigned: %d\n%s", r.status, r.stderr)
	}
	if _, ok := pathInfo(t, d1, b); ok {
		t.Error("refused path registered")
	}
	if _, ok := pathInfo(t, d1, a); !ok {
		t.Error("the content-addressed reference needs no signature and should have been copied")
	}
	// ...unless told not to check.
	f.must(t, "copy", "--no-check-sigs", "--from", "file://"+cache, "--to", d1, c)
	verifyStore(t, d1)

	// Signed in the source store, the signature travels through the cache.
	f.must(t, "store", "sign", "--store", f.store, "-k", f.sec, "-r", c)
	f.must(t, "nix", "store", "sign", "--store", f.store, "-k", f.sec, c) // idempotent
	info, _ := pathInfo(t, f.store, c)
	if len(info.Sigs) != 1 || !strings.HasPrefix(info.Sigs[0], "copy-test-1:") {
		t.Fatalf("signatures after store sign: %q", info.Sigs)
	}
	signed := filepath.Join(f.dir, "signed")
	f.must(t, "copy", "--store", f.store, "--to", "file://"+signed+"?compression=xz", c)
	d2 := filepath.Join(f.dir, "d2")
	r = f.gonix(t, "", "copy", "--from", "file://"+signed, "--to", "local?root="+d2, "--option", "trusted-public-keys", "other:"+strings.SplitN(f.pubKey, ":", 2)[1], c)
	if r.status == 0 {
		t.Error("a key of another name was trusted")
	}
	f.must(t, "copy", "--from", "file://"+signed, "--to", "local?root="+d2, "--option", "trusted-public-keys", f.pubKey, c)
	got, ok := pathInfo(t, d2, c)
	if !ok || len(got.Sigs) != 1 || got.Sigs[0] != info.Sigs[0] {
		t.Errorf("copied %v: %+v", ok, got)
	}
	verifyStore(t, d2)

	// Local to local, and cache to cache (br), from a result link and stdin.
	os.Symlink(c, filepath.Join(f.dir, "result"))
	d3 := filepath.Join(f.dir, "d3")
	f.must(t, "copy", "--store", f.store, "--to", d3, "--option", "trusted-public-keys", f.pubKey, "./result")
	verifyStore(t, d3)
	br := filepath.Join(f.dir, "br")
	if r := f.gonix(t, c+"\n", "copy", "--from", "file://"+signed, "--to", "file://"+br+"?compression=br", "--stdin"); r.status != 0 {
		t.Fatalf("cache to cache: %s", r.stderr)
	}
	d4 := filepath.Join(f.dir, "d4")
	f.must(t, "copy", "--from", "file://"+br, "--to", d4, "--option", "trusted-public-keys", f.pubKey, c)
	verifyStore(t, d4)

	// Secret key on the URL signs what is written.
	sk := filepath.Join(f.dir, "sk")
	f.must(t, "copy", "--store", d1, "--to", "file://"+sk+"?secret-key="+f.sec+"&compression=none", c)
	hp := strings.SplitN(strings.TrimPrefix(c, "/nix/store/"), "-", 2)[0]
	if data, _ := os.ReadFile(filepath.Join(sk, hp+".narinfo")); !strings.Contains(string(data), "Sig: copy-test-1:") {
		t.Errorf("secret-key= narinfo:\n%s", data)
	}

	for _, bad := range []struct {
		argv []string
		msg  string
	}{
		{[]string{"copy", "--store", f.store, c}, "you must pass '--from' and/or '--to'"},
		{[]string{"copy", "--store", f.store, "--to", "file://" + cache, "nixpkgs#hello"}, "installables that need evaluation"},
		{[]string{"copy", "--store", f.store, "--to", "file://" + cache, "/nix/store/00000000000000000000000000000000-x"}, "is not valid"},
		{[]string{"copy", "--from", "file://" + cache, "--to", d1, "/nix/store/00000000000000000000000000000000-x"}, "is not in binary cache"},
		{[]string{"copy", "--store", f.store, "--to", "ssh://host", c}, "don't know how to open Nix store 'ssh://host'"},
		{[]string{"store", "sign", "--store", f.store, c}, "you must specify a secret key file using '-k'"},
	} {
		r := f.gonix(t, "", bad.argv...)
		if r.status == 0 || !strings.Contains(r.stderr, bad.msg) {
			t.Errorf("gonix %s: %d %q, want %q", strings.Join(bad.argv, " "), r.status, r.stderr, bad.msg)
		}
	}
}

// TestCopyHTTP copies to and from an HTTP cache that takes PUTs.
func TestCopyHTTP(t *testing.T) {
	f := newCopyFixture(t)
	c := f.paths[2]
	var mu sync.Mutex
	files := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPut:
			data, _ := io.ReadAll(r.Body)
			files[r.URL.Path] = data
		case http.MethodGet, http.MethodHead:
			data, ok := files[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		}
	}))
	defer srv.Close()
	f.must(t, "store", "sign", "--store", f.store, "-k", f.sec, "-r", c)
	r := f.must(t, "copy", "--store", f.store, "--to", srv.URL+"/c?compression=zstd", "--jobs", "3", c)
	if !strings.Contains(r.stderr, "copying 3 paths...") {
		t.Errorf("stderr %q", r.stderr)
	}
	if string(files["/c/nix-cache-info"]) != "StoreDir: /nix/store\n" || len(files) != 7 {
		t.Errorf("%d files, nix-cache-info %q", len(files), files["/c/nix-cache-info"])
	}
	d := filepath.Join(f.dir, "d")
	f.must(t, "copy", "--from", srv.URL+"/c", "--to", d, "--option", "trusted-public-keys", f.pubKey, c)
	verifyStore(t, d)
}

func TestStoreVerify(t *testing.T) {
	f := newCopyFixture(t)
	a, b, c := f.paths[0], f.paths[1], f.paths[2]
	r := f.gonix(t, "", "store", "verify", "--store", f.store, "-r", c)
	if r.status != 2 || !strings.Contains(r.stderr, "error: path '"+b+"' is untrusted\n") ||
		strings.Contains(r.stderr, "path '"+a+"' is untrusted") || !strings.Contains(r.stderr, "checking '"+a+"'...\n") {
		t.Errorf("unsigned: %d\n%s", r.status, r.stderr)
	}
	f.must(t, "store", "sign", "--store", f.store, "-k", f.sec, "--all")
	f.must(t, "nix", "store", "verify", "--store", f.store, "--all", "--option", "trusted-public-keys", f.pubKey)
	// The signatures of a cache count with -s; so does the cache itself as --store.
	cache := filepath.Join(f.dir, "cache")
	f.must(t, "copy", "--store", f.store, "--to", "file://"+cache, c)
	f.must(t, "store", "verify", "--store", "file://"+cache, "-r", "--option", "trusted-public-keys", f.pubKey, c)
	if r := f.gonix(t, "", "store", "verify", "--store", f.store, "-n", "2", "--option", "trusted-public-keys", f.pubKey, c); r.status != 2 {
		t.Errorf("-n 2 with one signature: %d", r.status)
	}

	// A modified file is reported with both hashes; --no-contents does not look.
	real := filepath.Join(f.store, strings.TrimPrefix(b, "/"))
	os.Chmod(filepath.Dir(real), 0o755)
	os.Chmod(real, 0o644)
	if err := os.WriteFile(real, []byte("tampered"), 0o444); err != nil {
		t.Fatal(err)
	}
	r = f.gonix(t, "", "store", "verify", "--store", f.store, "--no-trust", c, b)
	if r.status != 1 || !strings.Contains(r.stderr, "error: path '"+b+"' was modified! expected hash 'sha256:") {
		t.Errorf("tampered: %d\n%s", r.status, r.stderr)
	}
	f.must(t, "store", "verify", "--store", f.store, "--no-trust", "--no-contents", b)
	if r := f.gonix(t, "", "store", "verify", "--store", f.store, "/nix/store/00000000000000000000000000000000-x"); r.status != 4 {
		t.Errorf("missing path: %d %s", r.status, r.stderr)
	}
}
