package profile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

const (
	pathA = "/nix/store/rz03lhkq1k7r84pdaj7p3sdk8pgmdzq0-user-environment"
	pathB = "/nix/store/j4gwrpdpp071nhp1yy18bfx8xksa2hg4-user-environment"
	pathC = "/nix/store/00000000000000000000000000000000-user-environment"
)

// tree describes the profile directory: every link name and its target.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			target = "(not a link)"
		}
		m[e.Name()] = target
	}
	return m
}

// setup makes a profile with generations pointing at paths (1, 2, …), the
// last one current.
func setup(t *testing.T, paths ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prof")
	for _, sp := range paths {
		if _, err := Set(context.Background(), p, sp, nil); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func nums(t *testing.T, p string) []uint64 {
	t.Helper()
	gens, err := Generations(p)
	if err != nil {
		t.Fatal(err)
	}
	var ns []uint64
	for _, g := range gens {
		ns = append(ns, g.Number)
	}
	return ns
}

func setAge(t *testing.T, link string, age time.Duration) {
	t.Helper()
	ts := unix.NsecToTimespec(time.Now().Add(-age).UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, link, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
}

func TestSetNumbering(t *testing.T) {
	p := setup(t, pathA, pathB, pathB, pathA)
	want := map[string]string{
		"prof":        "prof-3-link",
		"prof-1-link": pathA,
		"prof-2-link": pathB, // the same path again reuses the last one
		"prof-3-link": pathA, // only the last generation is compared
	}
	if d := cmp.Diff(want, tree(t, filepath.Dir(p))); d != "" {
		t.Fatalf("tree (-want +got):\n%s", d)
	}
	gens, err := Generations(p)
	if err != nil {
		t.Fatal(err)
	}
	if !gens[2].Current || gens[0].Current || gens[1].Current {
		t.Fatalf("current flags wrong: %+v", gens)
	}
	// Numbering continues after the highest, not after the current one.
	if err := SwitchGeneration(context.Background(), p, 1, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if gen, err := Set(context.Background(), p, pathC, nil); err != nil || filepath.Base(gen) != "prof-4-link" {
		t.Fatalf("Set = %q, %v; want prof-4-link", gen, err)
	}
}

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		name string
		n    uint64
		ok   bool
	}{
		{"prof-1-link", 1, true},
		{"prof-42-link", 42, true},
		{"prof-1-link.tmp-5-6", 1, true}, // as Nix: text after -link is ignored
		{"prof-x-link", 0, false},
		{"prof--link", 0, false},
		{"prof-1", 0, false},
		{"prof2-1-link", 0, false},
		{"other-1-link", 0, false},
		{"prof-4294967296-link", 0, false},
	} {
		n, ok := parseName("prof", c.name)
		if n != c.n || ok != c.ok {
			t.Errorf("parseName(%q) = %d, %v; want %d, %v", c.name, n, ok, c.n, c.ok)
		}
	}
}

func TestRollbackAndSwitch(t *testing.T) {
	ctx := context.Background()
	p := setup(t, pathA, pathB, pathC)
	var log bytes.Buffer
	if err := Rollback(ctx, p, false, &log); err != nil {
		t.Fatal(err)
	}
	if err := Rollback(ctx, p, false, &log); err != nil {
		t.Fatal(err)
	}
	err := Rollback(ctx, p, false, &log)
	if err == nil || err.Error() != "no profile version older than the current (1) exists" {
		t.Fatalf("third rollback: %v", err)
	}
	if err := SwitchGeneration(ctx, p, 3, false, &log); err != nil {
		t.Fatal(err)
	}
	err = SwitchGeneration(ctx, p, 7, false, &log)
	if err == nil || err.Error() != "profile version 7 does not exist" {
		t.Fatalf("switch to 7: %v", err)
	}
	// --dry-run says what it would do and does nothing.
	if err := Rollback(ctx, p, true, &log); err != nil {
		t.Fatal(err)
	}
	want := "switching profile from version 3 to 2\nswitching profile from version 2 to 1\n" +
		"switching profile from version 1 to 3\nswitching profile from version 3 to 2\n"
	if d := cmp.Diff(want, log.String()); d != "" {
		t.Fatalf("log (-want +got):\n%s", d)
	}
	if n, ok, _ := Current(p); !ok || n != 3 {
		t.Fatalf("current = %d %v; want 3", n, ok)
	}
	// Rollback skips gaps: with 2 deleted, 3 rolls back to 1.
	if err := DeleteGenerations(ctx, p, []uint64{2}, false, &log); err != nil {
		t.Fatal(err)
	}
	if err := Rollback(ctx, p, false, &log); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := Current(p); n != 1 {
		t.Fatalf("current = %d; want 1", n)
	}
	// No profile at all: Nix reports version 0.
	err = Rollback(ctx, filepath.Join(t.TempDir(), "none"), false, &log)
	if err == nil || err.Error() != "no profile version older than the current (0) exists" {
		t.Fatalf("rollback of a missing profile: %v", err)
	}
}

func TestDeleteGenerations(t *testing.T) {
	ctx := context.Background()
	p := setup(t, pathA, pathB, pathC, pathA)
	var log bytes.Buffer
	err := DeleteGenerations(ctx, p, []uint64{1, 4}, false, &log)
	if err == nil || err.Error() != "cannot delete current version of profile "+p+"'" {
		t.Fatalf("deleting the current one: %v", err)
	}
	if d := cmp.Diff([]uint64{1, 2, 3, 4}, nums(t, p)); d != "" {
		t.Fatalf("nothing may be deleted after the error:\n%s", d)
	}
	if err := DeleteGenerations(ctx, p, []uint64{3, 1, 9}, true, &log); err != nil {
		t.Fatal(err)
	}
	if err := DeleteGenerations(ctx, p, []uint64{3, 1, 9}, false, &log); err != nil {
		t.Fatal(err)
	}
	want := "would remove profile version 1\nwould remove profile version 3\n" +
		"removing profile version 1\nremoving profile version 3\n"
	if d := cmp.Diff(want, log.String()); d != "" {
		t.Fatalf("log (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]uint64{2, 4}, nums(t, p)); d != "" {
		t.Fatal(d)
	}
	if _, err := os.Lstat(p + ".lock"); !os.IsNotExist(err) {
		t.Fatalf("lock file left behind: %v", err)
	}
}

func TestDeleteOld(t *testing.T) {
	ctx := context.Background()
	p := setup(t, pathA, pathB, pathC)
	if err := SwitchGeneration(ctx, p, 2, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := DeleteOldGenerations(ctx, p, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]uint64{2}, nums(t, p)); d != "" {
		t.Fatal(d)
	}
}

func TestDeleteGreaterThan(t *testing.T) {
	ctx := context.Background()
	p := setup(t, pathA, pathB, pathC, pathA, pathB, pathC)
	// Current 4: 5 and 6 are newer and stay; +2 keeps 4 and 3.
	if err := SwitchGeneration(ctx, p, 4, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := DeleteGenerationsGreaterThan(ctx, p, 2, false, &log); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]uint64{3, 4, 5, 6}, nums(t, p)); d != "" {
		t.Fatal(d)
	}
	if d := cmp.Diff("removing profile version 2\nremoving profile version 1\n", log.String()); d != "" {
		t.Fatal(d)
	}
	if err := DeleteGenerationsGreaterThan(ctx, p, 1, false, &log); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]uint64{4, 5, 6}, nums(t, p)); d != "" {
		t.Fatal(d)
	}
}

func TestDeleteOlderThan(t *testing.T) {
	ctx := context.Background()
	// The spec's vector: 1 (20 days), 2 (15 days), 3 (now, current), 14d:
	// only 1 goes; 2 was the active one at the cutoff.
	p := setup(t, pathA, pathB, pathC)
	setAge(t, GenerationPath(p, 1), 20*24*time.Hour)
	setAge(t, GenerationPath(p, 2), 15*24*time.Hour)
	var log bytes.Buffer
	if err := DeleteGenerationsOlderThan(ctx, p, "14d", false, &log); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]uint64{2, 3}, nums(t, p)); d != "" {
		t.Fatal(d)
	}
	if d := cmp.Diff("removing profile version 1\n", log.String()); d != "" {
		t.Fatal(d)
	}

	// The current generation is never deleted, even when it is old.
	p = setup(t, pathA, pathB, pathC, pathA)
	for n := uint64(1); n <= 4; n++ {
		setAge(t, GenerationPath(p, n), time.Duration(50-n)*24*time.Hour)
	}
	if err := SwitchGeneration(ctx, p, 1, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := DeleteGenerationsOlderThan(ctx, p, "30d", false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]uint64{1, 4}, nums(t, p)); d != "" {
		t.Fatal(d)
	}

	for spec, want := range map[string]string{
		"14":  "invalid number of days specifier '14', expected something like '14d'",
		"0d":  "invalid number of days specifier '0d'",
		"xd":  "invalid number of days specifier 'xd'",
		"-3d": "invalid number of days specifier '-3d'",
	} {
		err := DeleteGenerationsOlderThan(ctx, p, spec, false, &bytes.Buffer{})
		if _, ok := err.(*UsageError); !ok || err.Error() != want {
			t.Errorf("spec %q: %v; want usage error %q", spec, err, want)
		}
	}
}

func TestDeleteOldGenerationsAll(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Set(ctx, p, pathA, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := Set(ctx, p, pathB, nil); err != nil {
			t.Fatal(err)
		}
	}
	mk(filepath.Join(dir, "default"))
	mk(filepath.Join(dir, "per-user", "alice", "profile"))
	// A link whose target says nothing of "link" is no profile.
	if err := os.Symlink(pathA, filepath.Join(dir, "plain")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := DeleteOldGenerationsAll(ctx, dir, "", false, &out); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "default"), filepath.Join(dir, "per-user", "alice", "profile")} {
		if d := cmp.Diff([]uint64{2}, nums(t, p)); d != "" {
			t.Errorf("%s: %s", p, d)
		}
		if !strings.Contains(out.String(), "removing old generations of profile "+p+"\n") {
			t.Errorf("output does not mention %s:\n%s", p, out.String())
		}
	}
	if err := DeleteOldGenerationsAll(ctx, dir, "3", false, &out); err == nil {
		t.Error("a bad specifier was accepted")
	}
	if err := DeleteOldGenerationsAll(ctx, filepath.Join(dir, "missing"), "", false, &out); err != nil {
		t.Errorf("missing directory: %v", err)
	}
}

// TestSwitchAtomic switches back and forth while readers resolve the
// profile: it must always name a generation.
func TestSwitchAtomic(t *testing.T) {
	ctx := context.Background()
	p := setup(t, pathA, pathB)
	var stop atomic.Bool
	var bad atomic.Value
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				target, err := os.Readlink(p)
				if err != nil || (target != "prof-1-link" && target != "prof-2-link") {
					bad.Store(target + " " + errString(err))
					return
				}
			}
		}()
	}
	for i := range 300 {
		if err := SwitchGeneration(ctx, p, uint64(i%2+1), false, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatalf("a reader saw the profile as %v", v)
	}
	// No temporary links remain.
	if d := cmp.Diff(map[string]string{"prof": "prof-2-link", "prof-1-link": pathA, "prof-2-link": pathB}, tree(t, filepath.Dir(p))); d != "" {
		t.Fatal(d)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestCreateGenerationRoots checks that the generation link goes through
// the GC root registrar.
func TestCreateGenerationRoots(t *testing.T) {
	p := filepath.Join(t.TempDir(), "prof")
	r := &fakeRoots{}
	gen, err := Set(context.Background(), p, pathA, r)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{pathA + " " + gen}, r.calls); d != "" {
		t.Fatal(d)
	}
}

type fakeRoots struct{ calls []string }

func (f *fakeRoots) AddPermRoot(_ context.Context, storePath, gcRoot string) (string, error) {
	f.calls = append(f.calls, storePath+" "+gcRoot)
	return gcRoot, os.Symlink(storePath, gcRoot)
}
