package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/store"
	"gonix/internal/testutil"
)

func openTest(t *testing.T, root string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// makeTrees recreates the NAR vectors' input trees (spec/vectors/nar/make-trees.sh).
func makeTrees(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(filepath.Join(dir, "tiny"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "tiny/f"), []byte("x"), 0o755))
	must(os.Symlink("f", filepath.Join(dir, "tiny/l")))
	must(os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644))
	must(os.MkdirAll(filepath.Join(dir, "tree/sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "tree/B"), []byte("B"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "tree/hello.txt"), []byte("hello\n"), 0o644))
	must(os.Symlink("hello.txt", filepath.Join(dir, "tree/link")))
	must(os.WriteFile(filepath.Join(dir, "tree/run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "tree/sub/empty"), nil, 0o644))
	return dir
}

// TestAddVectors adds the NAR vectors' trees and checks path, NAR hash,
// size and content address against spec/vectors/nar/nar-hashes.txt.
func TestAddVectors(t *testing.T) {
	ctx := context.Background()
	src := makeTrees(t)
	s := openTest(t, t.TempDir())
	tests := []struct {
		name      string
		method    store.Method
		algo      hash.Algo
		path, ca  string
		narHash16 string
		narSize   uint64
	}{
		{"tiny", store.Recursive, hash.SHA256, "/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny", "fixed:r:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5", "05f6aa01bcb02267bc6e54b8ae352ea9f6e7559aff567184f6c7572c716c22a4", 512},
		{"tree", store.Recursive, hash.SHA256, "/nix/store/7np01kj0p6m5xgn9zyhw9paafwxlxkw2-tree", "fixed:r:sha256:13lv7c1s9vl877fy0sqga6ncfvff2sy9sngpysvvrw26zm0i3jw2", "82cb1141fd46f0bcb7f6f7599dbc16ce6dc7ac510f6be0dd3988eea4033b9b8e", 1280},
		{"hello.txt", store.Recursive, hash.SHA256, "/nix/store/i9pmrzmpshapij2kin22pff6fc2adavx-hello.txt", "fixed:r:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw", "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", 120},
		{"hello.txt", store.Flat, hash.SHA256, "/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt", "fixed:sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq", "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", 120},
		{"hello.txt", store.Flat, hash.SHA1, "/nix/store/svdva85yi507g9vncgsaxvnd1r808h4w-hello.txt", "fixed:sha1:iwjz551fyw0cxcjgf4l6c879zabd6wpm", "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", 120},
		{"hello.txt", store.Recursive, hash.SHA1, "/nix/store/hzq8n5jpi3g2d0xhlvqd8q1gx5c9s6i3-hello.txt", "fixed:r:sha1:wz60bbf44cw7nswp1wv8vcsyfg155sqd", "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", 120},
		{"hello.txt", store.Flat, hash.MD5, "/nix/store/dra1cz5vbrhclpv4y1q0psnbkxz581bk-hello.txt", "fixed:md5:4425hx5d1mc9y39llj4k4nm55i", "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", 120},
	}
	for _, tc := range tests {
		p, err := s.AddToStore(ctx, tc.name, filepath.Join(src, tc.name), tc.method, tc.algo, nil, nil)
		if err != nil {
			t.Fatalf("add %s: %v", tc.name, err)
		}
		if p != tc.path {
			t.Errorf("add %s (%v %v) = %s, want %s", tc.name, tc.method, tc.algo, p, tc.path)
			continue
		}
		info, err := s.QueryPathInfo(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if info.CA != tc.ca || info.NarHash.Base16() != tc.narHash16 || info.NarSize != tc.narSize {
			t.Errorf("%s: info = ca %q hash %s size %d; want %q %s %d", p, info.CA, info.NarHash.Base16(), info.NarSize, tc.ca, tc.narHash16, tc.narSize)
		}
		// Adding again is a no-op that returns the same path.
		if p2, err := s.AddToStore(ctx, tc.name, filepath.Join(src, tc.name), tc.method, tc.algo, nil, nil); err != nil || p2 != p {
			t.Errorf("second add of %s = %s, %v", tc.name, p2, err)
		}
	}
	// The objects are canonical: mode 0444/0555, mtime 1.
	real := s.RealPath("/nix/store/7np01kj0p6m5xgn9zyhw9paafwxlxkw2-tree")
	for rel, want := range map[string]os.FileMode{"": os.ModeDir | 0o555, "B": 0o444, "run.sh": 0o555, "sub": os.ModeDir | 0o555} {
		st, err := os.Lstat(filepath.Join(real, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want || st.ModTime().Unix() != 1 {
			t.Errorf("%s: mode %v mtime %d, want %v and 1", rel, st.Mode(), st.ModTime().Unix(), want)
		}
	}
	// Nothing but store objects, lock-free, remains in the store directory.
	checkNoLeftovers(t, s, "leftover in the store directory:")
}

// checkNoLeftovers fails the test for every temporary object or lock file
// in the store directory, saying what followed by its name.
func checkNoLeftovers(t *testing.T, s *Store, what string) {
	t.Helper()
	ents, _ := os.ReadDir(s.RealStoreDir())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") || strings.HasSuffix(e.Name(), ".lock") {
			t.Errorf("%s %s", what, e.Name())
		}
	}
}

// TestAddTextDerivation registers the vector .drv files through AddText:
// their paths match, DerivationOutputs rows are written, and the rows
// survive reopening the store.
func TestAddTextDerivation(t *testing.T) {
	ctx := context.Background()
	vec := testutil.SpecVectors(t)
	root := t.TempDir()
	s := openTest(t, root)
	for _, base := range []string{"v17r5l1xbgiqdravaj0dra2js09d47h6-plain.drv", "dypq4hf1sb7bq2xaw0rb46fm0fkmks50-multi.drv"} {
		data, err := os.ReadFile(filepath.Join(vec, "drv", base))
		if err != nil {
			t.Fatal(err)
		}
		drv, err := derivation.ParseATerm(data)
		if err != nil {
			t.Fatal(err)
		}
		// Their inputs are sources we do not have; register without them.
		if len(drv.References()) != 0 {
			t.Fatalf("%s has references; pick a vector without", base)
		}
		name := strings.SplitN(base, "-", 2)[1]
		p, err := s.AddText(ctx, name, string(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		if p != "/nix/store/"+base {
			t.Fatalf("AddText %s = %s", base, p)
		}
		outs, err := s.QueryDerivationOutputs(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for o, out := range drv.Outputs {
			if outs[o] != out.Path {
				t.Errorf("%s output %s = %q, want %q", base, o, outs[o], out.Path)
			}
			ds, err := s.QueryValidDerivers(ctx, out.Path)
			if err != nil || len(ds) != 1 || ds[0] != p {
				t.Errorf("derivers of %s = %v, %v", out.Path, ds, err)
			}
		}
	}
	s.Close()
	s2 := openTest(t, root)
	info, err := s2.QueryPathInfo(ctx, "/nix/store/v17r5l1xbgiqdravaj0dra2js09d47h6-plain.drv")
	if err != nil {
		t.Fatal(err)
	}
	// spec/store.md §7.3 sample row.
	if got := "sha256:" + info.NarHash.Base16(); got != "sha256:0926aa100faaafb65d465858174ff23b2244a1657e628f73f6b4b4fdad23cc03" || info.NarSize != 376 ||
		info.CA != "text:sha256:0i2lvw4mff0605vxzv1wc8ghzyqwwzq3pp8as2zdyhy1aqzn2qnn" {
		t.Errorf("plain.drv row = %s %d %s", got, info.NarSize, info.CA)
	}
}

// TestSchemaText checks that sqlite_master holds exactly what a database
// created by Nix 2.8 holds (spec/vectors/db/schema.sql) and the schema file.
func TestSchemaText(t *testing.T) {
	vec := testutil.SpecVectors(t)
	want, err := os.ReadFile(filepath.Join(vec, "db/schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	s := openTest(t, root)
	s.Close()
	conn, err := sqlite.OpenConn(root+"/nix/var/nix/db/db.sqlite", sqlite.OpenReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got []string
	err = sqlitex.ExecuteTransient(conn, "select sql from sqlite_master where sql is not null order by rowid", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { got = append(got, st.ColumnText(0)+";"); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(got, "\n") + "\n"; g != string(want) {
		t.Errorf("schema differs:\n--- got\n%s\n--- want\n%s", g, want)
	}
	if b, _ := os.ReadFile(root + "/nix/var/nix/db/schema"); string(b) != "10" {
		t.Errorf("schema file = %q", b)
	}
	for _, p := range []string{"nix/store/.links", "nix/var/nix/gcroots/per-user", "nix/var/nix/profiles/per-user", "nix/var/nix/temproots", "nix/var/nix/db/big-lock"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Error(err)
		}
	}
	if l, err := os.Readlink(root + "/nix/var/nix/gcroots/profiles"); err != nil || l != "/nix/var/nix/profiles" {
		t.Errorf("gcroots/profiles -> %q, %v", l, err)
	}
}

// TestAddNARChecks imports NARs: a good one with references, then a hash
// mismatch, a lying content address and a hostile archive, none of which
// may leave anything valid or on disk.
func TestAddNARChecks(t *testing.T) {
	ctx := context.Background()
	a, src, tree := storeWithTree(t)
	ref, err := a.AddText(ctx, "ref", "uses "+tree, []string{tree})
	if err != nil {
		t.Fatal(err)
	}
	b := openTest(t, t.TempDir())
	copyPath := func(p string) error {
		info, err := a.QueryPathInfo(ctx, p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := a.DumpPath(ctx, p, &buf); err != nil {
			return err
		}
		return b.AddNAR(ctx, info, &buf)
	}
	if err := copyPath(ref); err == nil || !strings.Contains(err.Error(), "is not valid") {
		t.Errorf("importing %s before its reference: %v", ref, err)
	}
	if err := copyPath(tree); err != nil {
		t.Fatal(err)
	}
	if err := copyPath(ref); err != nil {
		t.Fatal(err)
	}
	info, err := b.QueryPathInfo(ctx, ref)
	if err != nil || len(info.References) != 1 || info.References[0] != tree {
		t.Fatalf("imported %s: %+v, %v", ref, info, err)
	}
	if r, _ := b.QueryReferrers(ctx, tree); len(r) != 1 || r[0] != ref {
		t.Errorf("referrers of %s = %v", tree, r)
	}

	var narTiny bytes.Buffer
	tinyInfo := &store.PathInfo{Path: "/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny"}
	tmp, _ := a.AddToStore(ctx, "tiny", filepath.Join(src, "tiny"), store.Recursive, hash.SHA256, nil, nil)
	a.DumpPath(ctx, tmp, &narTiny)
	good, _ := a.QueryPathInfo(ctx, tmp)

	bad := *good
	bad.NarHash = hash.Sum(hash.SHA256, []byte("other"))
	if err := b.AddNAR(ctx, &bad, bytes.NewReader(narTiny.Bytes())); err == nil || !strings.Contains(err.Error(), "hash mismatch importing path") {
		t.Errorf("hash mismatch: %v", err)
	}
	lying := *good
	lying.Path = "/nix/store/00000000000000000000000000000000-tiny"
	if err := b.AddNAR(ctx, &lying, bytes.NewReader(narTiny.Bytes())); err == nil || !strings.Contains(err.Error(), "claims to be content-addressed") {
		t.Errorf("lying CA: %v", err)
	}
	hostile := bytes.Replace(narTiny.Bytes(), []byte("\x01\x00\x00\x00\x00\x00\x00\x00f\x00\x00\x00\x00\x00\x00\x00"), []byte("\x01\x00\x00\x00\x00\x00\x00\x00/\x00\x00\x00\x00\x00\x00\x00"), 1)
	if bytes.Equal(hostile, narTiny.Bytes()) {
		t.Fatal("test NAR has no entry named f")
	}
	tinyInfo.NarHash = hash.Hash{}
	if err := b.AddNAR(ctx, tinyInfo, bytes.NewReader(hostile)); err == nil {
		t.Error("a NAR with an entry named / was accepted")
	}
	if ok, _ := b.IsValidPath(ctx, tinyInfo.Path); ok {
		t.Error("tiny became valid after failed imports")
	}
	if _, err := os.Lstat(b.RealPath(tinyInfo.Path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed imports left %s on disk: %v", tinyInfo.Path, err)
	}
	checkNoLeftovers(t, b, "leftover")
}

// TestConcurrentAdd has two stores on one directory add the same tree and
// text at once; both get the path and it is registered once and intact.
func TestConcurrentAdd(t *testing.T) {
	ctx := context.Background()
	src := makeTrees(t)
	root := t.TempDir()
	stores := []*Store{openTest(t, root), openTest(t, root)}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := stores[i%2]
			if _, err := s.AddToStore(ctx, "tree", filepath.Join(src, "tree"), store.Recursive, hash.SHA256, nil, nil); err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = s.AddText(ctx, "t", "same text", nil)
			if errs[i] == nil {
				errs[i] = s.Flush(ctx)
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	bad, err := stores[0].Verify(ctx, true, discardLog{})
	if err != nil || bad {
		t.Fatalf("verify after concurrent adds: errors=%v %v", bad, err)
	}
}

type discardLog struct{}

func (discardLog) Error(string) {}
func (discardLog) Info(string)  {}

type recordLog struct{ errs, infos []string }

func (r *recordLog) Error(m string) { r.errs = append(r.errs, m) }
func (r *recordLog) Info(m string)  { r.infos = append(r.infos, m) }

// TestVerify finds a modified path and drops a vanished one.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	src := makeTrees(t)
	s := openTest(t, t.TempDir())
	tree, _ := s.AddToStore(ctx, "tree", filepath.Join(src, "tree"), store.Recursive, hash.SHA256, nil, nil)
	gone, _ := s.AddText(ctx, "gone", "bye", nil)
	s.Flush(ctx)
	real := s.RealPath(tree)
	os.Chmod(real, 0o755)
	if err := os.WriteFile(real+"/B", []byte("changed"), 0o644); err != nil {
		// B is read-only; replace it.
		os.Remove(real + "/B")
		os.WriteFile(real+"/B", []byte("changed"), 0o444)
	}
	os.Remove(s.RealPath(gone))
	var log recordLog
	bad, err := s.Verify(ctx, true, &log)
	if err != nil {
		t.Fatal(err)
	}
	if !bad || len(log.errs) != 1 || !strings.Contains(log.errs[0], "path '"+tree+"' was modified! expected hash 'sha256:13lv7c1s9vl877fy0sqga6ncfvff2sy9sngpysvvrw26zm0i3jw2'") {
		t.Errorf("verify: bad=%v errors %q", bad, log.errs)
	}
	if ok, _ := s.IsValidPath(ctx, gone); ok {
		t.Error("vanished path is still valid")
	}
}

// TestSchemaTooNew refuses a store from a newer Nix.
func TestSchemaTooNew(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(root+"/nix/var/nix/db", 0o755)
	os.WriteFile(root+"/nix/var/nix/db/schema", []byte("11"), 0o644)
	_, err := Open(context.Background(), Options{Root: root})
	if err == nil || !strings.Contains(err.Error(), "current Nix store schema is version 11, but I only support 10") {
		t.Errorf("Open = %v", err)
	}
}

var _ = exec.Command

// storeWithTree opens a fresh store (openTest) holding the "tree" of
// makeTrees; src is makeTrees' directory.
func storeWithTree(t *testing.T) (s *Store, src, tree string) {
	t.Helper()
	src = makeTrees(t)
	s = openTest(t, t.TempDir())
	tree, err := s.AddToStore(context.Background(), "tree", filepath.Join(src, "tree"), store.Recursive, hash.SHA256, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, src, tree
}
