package binarycache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
	"gonix/internal/testutil"
)

type recordLog struct{ errs, infos []string }

func (l *recordLog) Error(msg string) { l.errs = append(l.errs, msg) }
func (l *recordLog) Info(msg string)  { l.infos = append(l.infos, msg) }

func openStore(t testing.TB) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), local.Options{Root: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openCache(t *testing.T, dir string) *Cache {
	t.Helper()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testKey(t *testing.T, name string) (narinfo.SecretKey, narinfo.PublicKey) {
	t.Helper()
	sk, pk, err := narinfo.GenerateKey(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sk, pk
}

// inputAddressed registers a path that is not content-addressed (as a
// build output is), holding a text file with content, so that signatures
// matter for it.
func inputAddressed(t *testing.T, st *local.Store, name, content string, refs []string) string {
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
	info := &store.PathInfo{
		Path:       p,
		NarHash:    hash.Hash{Algo: hash.SHA256, Digest: sum[:]},
		NarSize:    uint64(nar.Len()),
		References: refs,
		Deriver:    "/nix/store/v17r5l1xbgiqdravaj0dra2js09d47h6-" + name + ".drv",
	}
	if err := st.AddNAR(ctx, info, &nar); err != nil {
		t.Fatal(err)
	}
	return p
}

// chain adds a → b → c (each refers to the ones before; a is a text path,
// content-addressed, b and c are input-addressed), returning the paths
// with the top one last.
func chain(t *testing.T, st *local.Store) []string {
	t.Helper()
	ctx := context.Background()
	a, err := st.AddText(ctx, "a", strings.Repeat("0123456789", 10000), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := inputAddressed(t, st, "b", "b refers to "+a+strings.Repeat("b", 5000), []string{a})
	c := inputAddressed(t, st, "c", "c refers to "+b+" and "+a, []string{a, b})
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return []string{a, b, c}
}

func addAll(t *testing.T, c *Cache, st *local.Store, paths []string, compression string, key *narinfo.SecretKey) {
	t.Helper()
	for _, p := range paths {
		if err := c.AddPath(context.Background(), st, p, compression, key); err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, st *local.Store) {
	t.Helper()
	var log recordLog
	bad, err := st.Verify(context.Background(), true, &log)
	if err != nil || bad {
		t.Fatalf("verify: bad=%v err=%v errors %q", bad, err, log.errs)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	paths := chain(t, src)
	sk, pk := testKey(t, "gonix-test-1")
	for _, comp := range []string{"none", "xz", "zstd", "bzip2", "br", ""} {
		t.Run("compression="+comp, func(t *testing.T) {
			dir := t.TempDir()
			c := openCache(t, dir)
			addAll(t, c, src, paths, comp, &sk)
			info, err := os.ReadFile(filepath.Join(dir, "nix-cache-info"))
			if err != nil || string(info) != "StoreDir: /nix/store\n" {
				t.Errorf("nix-cache-info %q, %v", info, err)
			}
			want := comp
			if want == "" {
				want = "xz"
			}
			for _, p := range paths {
				ni, err := c.QueryPathInfo(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				pi, _ := src.QueryPathInfo(ctx, p)
				if ni.Compression != want || !strings.HasPrefix(ni.URL, "nar/"+ni.FileHash.Base32()+".nar") ||
					ni.URL != "nar/"+ni.FileHash.Base32()+".nar"+Extension(want) || ni.NarSize != pi.NarSize ||
					len(ni.Sigs) != 1 || !strings.HasPrefix(ni.Sigs[0], "gonix-test-1:") {
					t.Errorf("narinfo of %s:\n%s", p, ni.MarshalText())
				}
				if want == "none" && (!cmp.Equal(ni.FileHash, ni.NarHash) || ni.FileSize != ni.NarSize) {
					t.Errorf("compression none: FileHash/FileSize differ from NarHash/NarSize:\n%s", ni.MarshalText())
				}
				if n, err := ni.CheckSignatures([]narinfo.PublicKey{pk}); (n != 1 && ni.CA == "") || err != nil {
					t.Errorf("%s: %d good signatures, %v", p, n, err)
				}
			}
			// Adding again is a no-op.
			addAll(t, c, src, paths, comp, &sk)

			dst := openStore(t)
			top := paths[len(paths)-1]
			if err := Substitute(ctx, c, dst, top, []narinfo.PublicKey{pk}, true); !errors.Is(err, store.ErrNotValid) {
				t.Errorf("substituting %s before its references: %v", top, err)
			}
			if err := SubstituteClosure(ctx, c, dst, []string{top}, []narinfo.PublicKey{pk}, true); err != nil {
				t.Fatal(err)
			}
			for _, p := range paths {
				got, err := dst.QueryPathInfo(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := src.QueryPathInfo(ctx, p)
				if !cmp.Equal(got.NarHash, want.NarHash) || !cmp.Equal(got.References, want.References) || got.CA != want.CA || len(got.Sigs) != 1 {
					t.Errorf("%s: substituted %+v, source %+v", p, got, want)
				}
			}
			verify(t, dst)
		})
	}
}

func TestAddPathNeedsReferences(t *testing.T) {
	src := openStore(t)
	paths := chain(t, src)
	c := openCache(t, t.TempDir())
	err := c.AddPath(context.Background(), src, paths[1], "xz", nil)
	if err == nil || !strings.Contains(err.Error(), "because the reference '"+paths[0]+"' is not valid") {
		t.Errorf("AddPath without its reference: %v", err)
	}
	if has, _ := c.Has(context.Background(), paths[1]); has {
		t.Error("path in cache after a refused AddPath")
	}
}

func TestQueryMissing(t *testing.T) {
	c := openCache(t, t.TempDir())
	p := "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain"
	_, err := c.QueryPathInfo(context.Background(), p)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), p) {
		t.Errorf("missing narinfo: %v", err)
	}
}

func TestCacheInfo(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nix-cache-info"), []byte("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\nnonsense\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := openCache(t, dir)
	if !c.WantMassQuery() || c.Priority() != 40 || c.StoreDir() != "/nix/store" {
		t.Errorf("cache info: mass %v priority %d store %s", c.WantMassQuery(), c.Priority(), c.StoreDir())
	}
	_, err := OpenStoreDir(dir, "/other/store")
	if err == nil || !strings.Contains(err.Error(), "is for Nix stores with prefix '/nix/store', not '/other/store'") {
		t.Errorf("wrong store dir: %v", err)
	}
}

// refused substitutes path from c into a fresh store expecting an error
// containing want, and checks that nothing was registered.
func refused(t *testing.T, c *Cache, path string, keys []narinfo.PublicKey, requireSigs bool, want string) {
	t.Helper()
	dst := openStore(t)
	err := Substitute(context.Background(), c, dst, path, keys, requireSigs)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("substituting %s: got %v, want an error containing %q", path, err, want)
	}
	if ok, _ := dst.IsValidPath(context.Background(), path); ok {
		t.Errorf("%s is valid after a refused substitution", path)
	}
	all, _ := dst.QueryAllValidPaths(context.Background())
	if len(all) != 0 {
		t.Errorf("registered after a refused substitution: %q", all)
	}
	if _, err := os.Lstat(dst.RealPath(path)); err == nil {
		t.Errorf("%s exists on disk after a refused substitution", path)
	}
}

func TestRefused(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	a := inputAddressed(t, src, "solo", strings.Repeat("solo ", 3000), nil)
	sk, pk := testKey(t, "gonix-test-1")
	_, foreign := testKey(t, "gonix-test-2")
	keys := []narinfo.PublicKey{pk}

	setup := func(t *testing.T, comp string, key *narinfo.SecretKey) (*Cache, *narinfo.NarInfo, string) {
		dir := t.TempDir()
		c := openCache(t, dir)
		addAll(t, c, src, []string{a}, comp, key)
		ni, err := c.QueryPathInfo(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return c, ni, dir
	}
	rewrite := func(t *testing.T, dir string, ni *narinfo.NarInfo) {
		name, _ := (&Cache{storeDir: "/nix/store"}).narinfoName(ni.StorePath)
		if err := os.WriteFile(filepath.Join(dir, name), ni.MarshalText(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, comp := range []string{"none", "xz", "zstd"} {
		t.Run("tampered NAR "+comp, func(t *testing.T) {
			c, ni, dir := setup(t, comp, &sk)
			f := filepath.Join(dir, ni.URL)
			data, _ := os.ReadFile(f)
			data[len(data)/2] ^= 1
			os.WriteFile(f, data, 0o644)
			// Whatever the decompressor makes of it, nothing is registered;
			// uncompressed, the NarHash check says so as Nix does.
			refused(t, c, a, keys, true, "")
			err := Substitute(ctx, c, openStore(t), a, keys, true)
			if comp == "none" && (err == nil || !strings.Contains(err.Error(), "hash mismatch importing path")) {
				t.Errorf("tampered NAR: %v", err)
			}
		})
		t.Run("truncated NAR "+comp, func(t *testing.T) {
			c, ni, dir := setup(t, comp, &sk)
			f := filepath.Join(dir, ni.URL)
			data, _ := os.ReadFile(f)
			os.WriteFile(f, data[:len(data)-1], 0o644)
			refused(t, c, a, keys, true, "")
		})
		t.Run("trailing garbage "+comp, func(t *testing.T) {
			c, ni, dir := setup(t, comp, &sk)
			f := filepath.Join(dir, ni.URL)
			data, _ := os.ReadFile(f)
			os.WriteFile(f, append(data, 0), 0o644)
			refused(t, c, a, keys, true, "")
		})
	}
	t.Run("wrong NarHash", func(t *testing.T) {
		// Unsigned, so that only the NAR hash check can catch it.
		c, ni, dir := setup(t, "xz", nil)
		other, _ := src.QueryPathInfo(ctx, chain(t, src)[2])
		ni.NarHash = other.NarHash
		rewrite(t, dir, ni)
		refused(t, c, a, nil, false, "hash mismatch")
	})
	t.Run("wrong NarSize", func(t *testing.T) {
		c, ni, dir := setup(t, "zstd", nil)
		ni.NarSize -= 8
		rewrite(t, dir, ni)
		refused(t, c, a, nil, false, "NarSize")
	})
	t.Run("no signature", func(t *testing.T) {
		c, _, _ := setup(t, "xz", nil)
		refused(t, c, a, keys, true, "cannot add path '"+a+"' because it lacks a valid signature")
		// Without requireSigs it is accepted.
		dst := openStore(t)
		if err := Substitute(ctx, c, dst, a, keys, false); err != nil {
			t.Fatal(err)
		}
		verify(t, dst)
	})
	t.Run("foreign signature", func(t *testing.T) {
		c, _, _ := setup(t, "xz", &sk)
		refused(t, c, a, []narinfo.PublicKey{foreign}, true, "because it lacks a valid signature")
	})
	t.Run("signature of other data", func(t *testing.T) {
		c, ni, dir := setup(t, "xz", &sk)
		ni.NarSize++ // the signature no longer matches the fingerprint
		rewrite(t, dir, ni)
		refused(t, c, a, keys, true, "because it lacks a valid signature")
	})
	t.Run("URL outside the cache", func(t *testing.T) {
		c, ni, dir := setup(t, "none", nil)
		ni.URL = "../" + filepath.Base(dir) + "/" + ni.URL
		rewrite(t, dir, ni)
		refused(t, c, a, nil, false, "is not a file inside the cache")
	})
}

// TestVectors reads the spec's cache vectors (written by Nix 2.8): every
// narinfo parses and is signed by pub.key, and the uncompressed NAR
// streams with its FileHash checked.
func TestVectors(t *testing.T) {
	ctx := context.Background()
	vdir := filepath.Join(testutil.SpecVectors(t), "cache")
	dir := t.TempDir()
	ents, err := os.ReadDir(vdir)
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "nar"), 0o755)
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(vdir, e.Name()))
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	nars, _ := os.ReadDir(filepath.Join(vdir, "nar"))
	for _, e := range nars {
		data, _ := os.ReadFile(filepath.Join(vdir, "nar", e.Name()))
		os.WriteFile(filepath.Join(dir, "nar", e.Name()), data, 0o644)
	}
	pubText, err := os.ReadFile(filepath.Join(vdir, "pub.key"))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := narinfo.ParsePublicKey(strings.TrimSpace(string(pubText)))
	if err != nil {
		t.Fatal(err)
	}
	c := openCache(t, dir)
	for _, p := range []string{
		"/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain",
		"/nix/store/m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent",
		"/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny",
	} {
		ni, err := c.QueryPathInfo(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := ni.CheckSignatures([]narinfo.PublicKey{pk}); n < 1 || err != nil {
			t.Errorf("%s: %d good signatures, %v", p, n, err)
		}
	}
	// The compression=none variant has its NAR in the vectors.
	data, _ := os.ReadFile(filepath.Join(vdir, "dybb1h978b7js39x24iib8bs70c3zazl.narinfo.compression-none"))
	ni, err := narinfo.Parse("/nix/store", data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.NAR(ctx, ni)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nar, err := io.ReadAll(r)
	if err != nil || uint64(len(nar)) != ni.NarSize || !bytes.HasPrefix(nar[8:], []byte("nix-archive-1")) {
		t.Errorf("NAR: %d bytes, %v", len(nar), err)
	}
	// A fresh store accepts it (content-addressed: no signature needed).
	dst := openStore(t)
	if err := os.WriteFile(filepath.Join(dir, "dybb1h978b7js39x24iib8bs70c3zazl.narinfo"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Substitute(ctx, c, dst, ni.StorePath, nil, true); err != nil {
		t.Fatal(err)
	}
	verify(t, dst)
}
