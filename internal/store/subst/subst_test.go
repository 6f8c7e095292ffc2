package subst

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
	"gonix/internal/store/binarycache"
	"gonix/internal/store/local"
)

func openStore(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), local.Options{Root: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixture: a source store with a → b (b refers to a), and keys.
type fixture struct {
	src    *local.Store
	a, b   string
	sk     narinfo.SecretKey
	pk     narinfo.PublicKey
	other  narinfo.PublicKey
	caches map[string]*binarycache.Cache
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	f := &fixture{src: openStore(t), caches: map[string]*binarycache.Cache{}}
	// Input-addressed paths (no content address): only a signature can
	// vouch for them.
	f.a = "/nix/store/" + strings.Repeat("a", 32) + "-a"
	f.b = "/nix/store/" + strings.Repeat("b", 32) + "-b"
	add := func(p, text string, refs []string) {
		var n bytes.Buffer
		if err := nar.DumpBytes(&n, []byte(text), false); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(n.Bytes())
		info := &store.PathInfo{Path: p, NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum[:]}, NarSize: uint64(n.Len()), References: refs}
		if err := f.src.AddNAR(ctx, info, &n); err != nil {
			t.Fatal(err)
		}
	}
	add(f.a, "leafy-data", nil)
	add(f.b, "refers to "+f.a, []string{f.a})
	var err error
	if f.sk, f.pk, err = narinfo.GenerateKey("k1", rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, f.other, err = narinfo.GenerateKey("k1", rand.Reader); err != nil {
		t.Fatal(err)
	}
	return f
}

// cache writes the closure of b into a new file:// cache.
func (f *fixture) cache(t *testing.T, query string, sign bool) *binarycache.Cache {
	ctx := context.Background()
	dir := t.TempDir()
	c, err := binarycache.OpenURL(ctx, "file://"+dir+query)
	if err != nil {
		t.Fatal(err)
	}
	var key *narinfo.SecretKey
	if sign {
		key = &f.sk
	}
	for _, p := range []string{f.a, f.b} {
		if err := c.AddPath(ctx, f.src, p, "none", key); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// corrupt flips a byte of the NAR of p in c.
func corrupt(t *testing.T, c *binarycache.Cache, p string) {
	ni, err := c.QueryPathInfo(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(c.Dir(), ni.URL)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("leafy"))
	if i < 0 {
		t.Fatalf("NAR of %s does not hold its text", p)
	}
	data[i] ^= 1
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type messages []string

func (m *messages) add(s string) { *m = append(*m, s) }

func fetchAll(ctx context.Context, s *Set, st *local.Store, paths ...string) error {
	for _, p := range paths {
		if err := s.Fetch(ctx, st, p, nil); err != nil {
			return err
		}
	}
	return nil
}

func TestQueryPriorityAndFetch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	low := f.cache(t, "?priority=10", true)
	high := f.cache(t, "?priority=50", true)
	var msgs messages
	// Given in the wrong order: priority 10 must be asked first.
	s := New([]Cache{high, low}, Options{Trusted: []narinfo.PublicKey{f.pk}, RequireSigs: true, Warn: msgs.add})
	found, err := s.Query(ctx, []string{f.a, f.b, "/nix/store/00000000000000000000000000000000-missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[f.b].Cache != Cache(low) {
		t.Fatalf("Query found %d paths, b from %v; want 2, b from the priority-10 cache", len(found), found[f.b])
	}
	if refs := found[f.b].References(); len(refs) != 1 || refs[0] != f.a {
		t.Errorf("b's references = %v, want [%s]", refs, f.a)
	}
	dst := openStore(t)
	if err := fetchAll(ctx, s, dst, f.a, f.b); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.a, f.b} {
		if ok, err := dst.IsValidPath(ctx, p); err != nil || !ok {
			t.Errorf("%s not valid after Fetch (%v)", p, err)
		}
	}
	if len(msgs) != 0 {
		t.Errorf("unexpected messages: %q", msgs)
	}
}

func TestFetchRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	t.Run("foreign key gives up", func(t *testing.T) {
		var msgs messages
		s := New([]Cache{f.cache(t, "", true)}, Options{Trusted: []narinfo.PublicKey{f.other}, RequireSigs: true, Warn: msgs.add})
		dst := openStore(t)
		err := s.Fetch(ctx, dst, f.a, nil)
		if !errors.Is(err, ErrNoSubstituters) {
			t.Fatalf("Fetch = %v, want ErrNoSubstituters", err)
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], "is not signed by any of the keys in 'trusted-public-keys'") {
			t.Errorf("messages %q, want one signature warning", msgs)
		}
		if !s.Rejected(f.a) {
			t.Errorf("Rejected(a) = false after the refusal")
		}
		if ok, _ := dst.IsValidPath(ctx, f.a); ok {
			t.Errorf("refused path registered")
		}
	})
	t.Run("unsigned accepted without require-sigs", func(t *testing.T) {
		s := New([]Cache{f.cache(t, "", false)}, Options{RequireSigs: false})
		if err := fetchAll(ctx, s, openStore(t), f.a, f.b); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("corrupt NAR fails, next cache succeeds", func(t *testing.T) {
		bad := f.cache(t, "?priority=10", true)
		good := f.cache(t, "?priority=20", true)
		corrupt(t, bad, f.a)
		var msgs messages
		s := New([]Cache{bad, good}, Options{Trusted: []narinfo.PublicKey{f.pk}, RequireSigs: true, Warn: msgs.add})
		dst := openStore(t)
		if err := s.Fetch(ctx, dst, f.a, nil); err != nil {
			t.Fatalf("Fetch with a good second cache: %v", err)
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], fmt.Sprintf("hash mismatch importing path '%s'", f.a)) {
			t.Errorf("messages %q, want one hash mismatch", msgs)
		}
	})
	t.Run("corrupt NAR only", func(t *testing.T) {
		bad := f.cache(t, "", true)
		corrupt(t, bad, f.a)
		var msgs messages
		s := New([]Cache{bad}, Options{Trusted: []narinfo.PublicKey{f.pk}, RequireSigs: true, Warn: msgs.add})
		dst := openStore(t)
		err := s.Fetch(ctx, dst, f.a, nil)
		var fe *FetchError
		if !errors.As(err, &fe) || errors.Is(err, ErrNoSubstituters) {
			t.Fatalf("Fetch = %v, want a FetchError", err)
		}
		if ok, _ := dst.IsValidPath(ctx, f.a); ok {
			t.Errorf("corrupt path registered")
		}
	})
	t.Run("missing reference", func(t *testing.T) {
		s := New([]Cache{f.cache(t, "", true)}, Options{Trusted: []narinfo.PublicKey{f.pk}, RequireSigs: true, Warn: func(string) {}})
		if err := s.Fetch(ctx, openStore(t), f.b, nil); err == nil {
			t.Fatalf("Fetch of b before a succeeded")
		}
	})
}
