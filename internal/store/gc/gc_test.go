package gc

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"gonix/internal/store/local"
)

type fixture struct {
	t    *testing.T
	ctx  context.Context
	root string
	st   *local.Store
	p    map[string]string // short name → store path
	info []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	st, err := local.Open(ctx, local.Options{Root: root, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, root: root, st: st, p: map[string]string{}}
	t.Cleanup(func() { f.st.Close() })
	return f
}

// add stores a text file named name referring to the named paths.
func (f *fixture) add(name string, refs ...string) string {
	f.t.Helper()
	var full []string
	text := "contents of " + name
	for _, r := range refs {
		full = append(full, f.p[r])
		text += " " + f.p[r]
	}
	sort.Strings(full)
	p, err := f.st.AddText(f.ctx, name, text, full)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.Flush(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	f.p[name] = p
	return p
}

func (f *fixture) state(rel string) string { return filepath.Join(f.st.RealStateDir(), rel) }

func (f *fixture) symlink(target, link string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) opts(a Action) Options {
	return Options{Action: a, KeepDerivations: true,
		Roots: RootOptions{NoRuntimeRoots: true, Info: func(m string) { f.info = append(f.info, m) }}}
}

// reopen closes the store and opens it again: the paths this process
// added are its temporary roots until then.
func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.st.Close(); err != nil {
		f.t.Fatal(err)
	}
	st, err := local.Open(f.ctx, local.Options{Root: f.root, NoSync: true})
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
}

func (f *fixture) collect(o Options) *Results {
	f.t.Helper()
	f.reopen()
	r, err := Collect(f.ctx, f.st, o)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// names maps store paths back to their short names.
func (f *fixture) names(paths []string) []string {
	var out []string
	for _, p := range paths {
		n := p
		for k, v := range f.p {
			if v == p {
				n = k
			}
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// checkConsistent checks that the database and the store directory list
// the same paths.
func (f *fixture) checkConsistent(want []string) {
	f.t.Helper()
	valid, err := f.st.QueryAllValidPaths(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if d := cmp.Diff(want, f.names(valid)); d != "" {
		f.t.Errorf("valid paths (-want +got):\n%s", d)
	}
	entries, err := os.ReadDir(f.st.RealStoreDir())
	if err != nil {
		f.t.Fatal(err)
	}
	var disk []string
	for _, e := range entries {
		if e.Name() == ".links" || strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		disk = append(disk, f.st.StoreDir()+"/"+e.Name())
	}
	if d := cmp.Diff(want, f.names(disk)); d != "" {
		f.t.Errorf("store directory (-want +got):\n%s", d)
	}
}

func TestCollectRootKinds(t *testing.T) {
	f := newFixture(t)
	f.add("a")
	f.add("b", "a")
	f.add("c", "b")
	f.add("d")
	f.add("e", "a")
	f.add("fprof")
	f.add("g")
	f.add("h")
	f.add("x", "b")
	f.add("y", "x")

	// A direct root to a file inside c's store path counts as c.
	f.symlink(f.p["c"]+"/sub/file", f.state("gcroots/direct"))
	// An indirect root: gcroots/auto → a link outside → e.
	outside := filepath.Join(f.root, "result")
	f.symlink(f.p["e"], outside)
	f.symlink(outside, f.state("gcroots/auto/abc"))
	// A stale indirect root is removed; a stale one outside auto stays.
	f.symlink(filepath.Join(f.root, "gone"), f.state("gcroots/auto/stale"))
	f.symlink(filepath.Join(f.root, "gone"), f.state("gcroots/other-stale"))
	// A regular file named after a store path.
	if err := os.WriteFile(f.state("gcroots/"+filepath.Base(f.p["d"])), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A profile generation.
	f.symlink(f.p["fprof"], f.state("profiles/p-1-link"))
	// Temporary roots: a live process (we hold its lock) and a dead one.
	live := f.state("temproots/2147483000")
	if err := os.WriteFile(live, []byte(f.p["g"]+"\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	lf, err := os.OpenFile(live, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	stale := f.state("temproots/2147483001")
	if err := os.WriteFile(stale, []byte(f.p["h"]+"\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Leftovers that are not store paths, and an invalid store path name.
	junk := []string{".tmp-add-2147483002-1", "not-a-store-path", "00000000000000000000000000000000-leftover"}
	for _, j := range junk {
		if err := os.WriteFile(filepath.Join(f.st.RealStoreDir(), j), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	f.reopen()
	roots, err := FindRoots(f.ctx, f.st, f.opts(DeleteDead).Roots)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range roots.Sorted() {
		got = append(got, strings.TrimPrefix(r.Link, f.root)+" -> "+f.names([]string{r.Path})[0])
	}
	want := []string{
		"/nix/var/nix/gcroots/" + filepath.Base(f.p["d"]) + " -> d",
		"/nix/var/nix/gcroots/direct -> c",
		"/nix/var/nix/profiles/p-1-link -> fprof",
		"/result -> e",
		"{temp:2147483000} -> g",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("roots (-want +got):\n%s", d)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary roots file not removed: %v", err)
	}

	dead := f.collect(f.opts(ReturnDead))
	wantDead := []string{"/nix/store/.tmp-add-2147483002-1", "/nix/store/00000000000000000000000000000000-leftover", "/nix/store/not-a-store-path", "h", "x", "y"}
	if d := cmp.Diff(wantDead, f.names(dead.Paths)); d != "" {
		t.Errorf("--print-dead (-want +got):\n%s", d)
	}

	if !containsMsg(f.info, "removing stale link from '"+f.state("gcroots/auto/stale")+"' to '"+filepath.Join(f.root, "gone")+"'") {
		t.Errorf("no stale link message in %q", f.info)
	}
	// --print-dead deleted the entries that are not store paths, as Nix
	// 2.8 does; an invalid store path is only reported.
	for _, j := range junk[:2] {
		if _, err := os.Lstat(filepath.Join(f.st.RealStoreDir(), j)); !os.IsNotExist(err) {
			t.Errorf("%s survived --print-dead", j)
		}
	}

	f.info = nil
	res := f.collect(f.opts(DeleteDead))
	if d := cmp.Diff([]string{"/nix/store/00000000000000000000000000000000-leftover", "h", "x", "y"}, f.names(res.Paths)); d != "" {
		t.Errorf("deleted (-want +got):\n%s", d)
	}
	if res.BytesFreed == 0 {
		t.Errorf("no bytes freed")
	}
	// y refers to x: y must be deleted first.
	var order []string
	for _, m := range f.info {
		if strings.HasPrefix(m, "deleting '/nix/store/") && !strings.Contains(m, "leftover") {
			order = append(order, f.names([]string{strings.Trim(strings.TrimPrefix(m, "deleting "), "'")})[0])
		}
	}
	if strings.Join(order, " ") != "h y x" && strings.Join(order, " ") != "y x h" {
		t.Errorf("deletion order %v: a referrer must go before its reference", order)
	}
	if _, err := os.Lstat(f.state("gcroots/auto/stale")); !os.IsNotExist(err) {
		t.Errorf("stale indirect root in gcroots/auto not removed")
	}
	if _, err := os.Lstat(f.state("gcroots/other-stale")); err != nil {
		t.Errorf("stale link outside gcroots/auto removed: %v", err)
	}
	f.checkConsistent([]string{"a", "b", "c", "d", "e", "fprof", "g"})

	// Once the temporary root's owner is gone, g goes too.
	lf.Close()
	res = f.collect(f.opts(DeleteDead))
	if d := cmp.Diff([]string{"g"}, f.names(res.Paths)); d != "" {
		t.Errorf("second run deleted (-want +got):\n%s", d)
	}
	f.checkConsistent([]string{"a", "b", "c", "d", "e", "fprof"})
}

func containsMsg(msgs []string, m string) bool {
	for _, x := range msgs {
		if x == m {
			return true
		}
	}
	return false
}

func TestDeleteSpecific(t *testing.T) {
	f := newFixture(t)
	f.add("a")
	f.add("b", "a")
	f.add("c")
	f.symlink(f.p["c"], f.state("gcroots/c"))

	o := f.opts(DeleteSpecific)
	o.PathsToDelete = []string{f.p["a"]}
	f.reopen()
	_, err := Collect(f.ctx, f.st, o)
	if err == nil || !strings.Contains(err.Error(), "Cannot delete path '"+f.p["a"]+"' since it is still alive") {
		t.Fatalf("deleting a referenced path: %v", err)
	}
	o.PathsToDelete = []string{f.p["c"]}
	if _, err := Collect(f.ctx, f.st, o); err == nil || !strings.Contains(err.Error(), "still alive") {
		t.Fatalf("deleting a rooted path: %v", err)
	}
	o.PathsToDelete = []string{f.p["a"], f.p["b"]}
	res := f.collect(o)
	if d := cmp.Diff([]string{"a", "b"}, f.names(res.Paths)); d != "" {
		t.Errorf("deleted (-want +got):\n%s", d)
	}
	f.checkConsistent([]string{"c"})
}

func TestMaxFreed(t *testing.T) {
	f := newFixture(t)
	f.add("a")
	f.add("b")
	f.add("c")
	o := f.opts(DeleteDead)
	o.MaxFreed = 1
	res := f.collect(o)
	if len(res.Paths) != 1 {
		t.Errorf("--max-freed 1 deleted %v, want one path", res.Paths)
	}
	o.MaxFreed, o.MaxFreedSet = 0, true
	res = f.collect(o)
	if len(res.Paths) != 0 {
		t.Errorf("--max-freed 0 deleted %v", res.Paths)
	}
	valid, _ := f.st.QueryAllValidPaths(f.ctx)
	if len(valid) != 2 {
		t.Errorf("valid after --max-freed: %v", valid)
	}
}

func TestUnusedLinks(t *testing.T) {
	f := newFixture(t)
	links := f.st.RealStoreDir() + "/.links"
	if err := os.WriteFile(links+"/lonely", []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(links+"/shared", []byte("y"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(links+"/shared", filepath.Join(f.root, "other")); err != nil {
		t.Fatal(err)
	}
	f.collect(f.opts(DeleteDead))
	if _, err := os.Stat(links + "/lonely"); !os.IsNotExist(err) {
		t.Errorf(".links entry with one link kept")
	}
	if _, err := os.Stat(links + "/shared"); err != nil {
		t.Errorf(".links entry with two links deleted: %v", err)
	}
}
