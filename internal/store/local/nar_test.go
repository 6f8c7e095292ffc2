package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/store"
)

// TestCommitAll prepares a path and the one it refers to, commits them in
// one group (the referrer first in the slice: the transaction makes them
// valid together), then checks what a group refuses: a path committed
// twice, and a referrer whose reference is neither valid nor in the group,
// which leaves nothing valid and nothing on disk but the good paths.
func TestCommitAll(t *testing.T) {
	ctx := context.Background()
	a, src, tree := storeWithTree(t)
	ref, err := a.AddText(ctx, "ref", "uses "+tree, []string{tree})
	if err != nil {
		t.Fatal(err)
	}
	tiny, err := a.AddToStore(ctx, "tiny", filepath.Join(src, "tiny"), store.Recursive, hash.SHA256, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := openTest(t, t.TempDir())
	prepare := func(p string) *PreparedNAR {
		t.Helper()
		info, err := a.QueryPathInfo(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := a.DumpPath(ctx, p, &buf); err != nil {
			t.Fatal(err)
		}
		pr, err := b.PrepareNAR(ctx, info, &buf)
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}

	prRef, prTree := prepare(ref), prepare(tree)
	for i, err := range CommitAll(ctx, []*PreparedNAR{prRef, prTree}) {
		if err != nil {
			t.Fatalf("CommitAll, path %d: %v", i, err)
		}
	}
	for _, p := range []string{tree, ref} {
		if ok, err := b.IsValidPath(ctx, p); !ok || err != nil {
			t.Errorf("%s valid = %v, %v after CommitAll", p, ok, err)
		}
	}
	info, err := b.QueryPathInfo(ctx, ref)
	if err != nil || len(info.References) != 1 || info.References[0] != tree {
		t.Errorf("committed %s: %+v, %v", ref, info, err)
	}
	if got, _ := os.ReadFile(b.RealPath(ref)); string(got) != "uses "+tree {
		t.Errorf("%s holds %q", ref, got)
	}
	// Both are temporary roots of b's process, each recorded once
	// although AddTempRoot was asked again.
	if err := b.AddTempRoot(ctx, tree); err != nil {
		t.Fatal(err)
	}
	roots, err := os.ReadFile(b.tempRoots.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{tree, ref} {
		if n := strings.Count(string(roots), p+"\x00"); n != 1 {
			t.Errorf("temporary roots hold %s %d times: %q", p, n, roots)
		}
	}
	if errs := CommitAll(ctx, []*PreparedNAR{prRef}); errs[0] == nil || !strings.Contains(errs[0].Error(), "twice") {
		t.Errorf("committing %s again: %v", ref, errs[0])
	}
	// Already valid: nothing to do, no error.
	if errs := CommitAll(ctx, []*PreparedNAR{prepare(tree)}); errs[0] != nil {
		t.Errorf("committing valid %s: %v", tree, errs[0])
	}

	// A group whose referrer lacks its reference fails as a whole.
	c := openTest(t, t.TempDir())
	b = c
	prRef, prTiny := prepare(ref), prepare(tiny)
	errs := CommitAll(ctx, []*PreparedNAR{prRef, prTiny})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "is not valid") {
		t.Errorf("committing %s without %s: %v", ref, tree, errs[0])
	}
	for _, p := range []string{ref, tiny} {
		if ok, _ := c.IsValidPath(ctx, p); ok {
			t.Errorf("%s became valid in a failed group", p)
		}
	}
	checkNoLeftovers(t, c, "a failed group left")
}

// TestPrepareNARBytes: a NAR in memory is prepared and committed like a
// streamed one; a wrong NarHash or NarSize, or data after the archive, is
// refused with nothing left in the store.
func TestPrepareNARBytes(t *testing.T) {
	ctx := context.Background()
	a, _, tree := storeWithTree(t)
	info, err := a.QueryPathInfo(ctx, tree)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := a.DumpPath(ctx, tree, &buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()

	b := openTest(t, t.TempDir())
	badHash, badSize := *info, *info
	badHash.NarHash = hash.Sum(hash.SHA256, []byte("other"))
	badSize.NarSize++
	noSize := *info
	noSize.NarSize = 0
	for _, c := range []struct {
		name string
		info *store.PathInfo
		data []byte
		want string
	}{
		{"hash", &badHash, data, "hash mismatch importing path"},
		{"size", &badSize, data, "size mismatch importing path"},
		{"trailing", &noSize, append(append([]byte(nil), data...), 0), "hash mismatch importing path"},
	} {
		if _, err := b.PrepareNARBytes(ctx, c.info, c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// The NarHash of the data with a byte after the archive, to reach the
	// check that the archive ends where the data does.
	trailing := append(append([]byte(nil), data...), 0)
	withTrailing := noSize
	withTrailing.NarHash = hash.Sum(hash.SHA256, trailing)
	if _, err := b.PrepareNARBytes(ctx, &withTrailing, trailing); err == nil || !strings.Contains(err.Error(), "after the end of the archive") {
		t.Errorf("trailing data: %v", err)
	}
	ents, _ := os.ReadDir(b.RealStoreDir())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("a refused NAR left %s", e.Name())
		}
	}

	pr, err := b.PrepareNARBytes(ctx, info, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := b.QueryPathInfo(ctx, tree)
	if err != nil || !got.NarHash.Equal(info.NarHash) || got.NarSize != info.NarSize {
		t.Fatalf("committed %s: %+v, %v", tree, got, err)
	}
	buf.Reset()
	if err := b.DumpPath(ctx, tree, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("committed %s dumps differently (%v)", tree, err)
	}
}
