package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// fakeBuilds is a Prepare/Runner/Finish triple that "builds" by writing a
// file, counts builds per derivation, tracks concurrency and fails the
// derivations named in fail.
type fakeBuilds struct {
	st        *local.Store
	fail      map[string]bool // by derivation name
	built     *sharedCount
	active    atomic.Int32
	maxActive atomic.Int32
}

// sharedCount counts builds per derivation name, across schedulers.
type sharedCount struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *sharedCount) add(name string) {
	c.mu.Lock()
	c.m[name]++
	c.mu.Unlock()
}

func (c *sharedCount) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

func (f *fakeBuilds) prepare(ctx context.Context, drvPath string, drv *derivation.Derivation) (*Job, func(), error) {
	outs := map[string]string{}
	for name, o := range drv.Outputs {
		outs[name] = o.Path
	}
	return &Job{DrvPath: drvPath, Drv: drv, Outputs: outs, StoreDir: f.st.StoreDir(), RealStoreDir: f.st.RealStoreDir()}, func() {}, nil
}

func (f *fakeBuilds) Run(ctx context.Context, job *Job) error {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxActive.Load()
		if n <= m || f.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	name := job.Drv.Env["name"]
	f.built.add(name)
	// Long enough for other builds to start beside this one.
	time.Sleep(20 * time.Millisecond)
	fmt.Fprintf(job.Log, "building %s\n", name)
	if f.fail[name] {
		return &BuilderError{DrvPath: job.DrvPath, ExitCode: 1}
	}
	for _, p := range job.Outputs {
		if err := os.WriteFile(f.st.RealPath(p), []byte(name), 0o444); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeBuilds) finish(ctx context.Context, job *Job) error {
	var infos []*store.PathInfo
	for _, p := range job.Outputs {
		sum, size, err := nar.HashPath(f.st.RealPath(p), nil)
		if err != nil {
			return err
		}
		if err := local.Canonicalise(f.st.RealPath(p)); err != nil {
			return err
		}
		infos = append(infos, &store.PathInfo{Path: p, NarHash: hash.Hash{Algo: hash.SHA256, Digest: sum}, NarSize: uint64(size), Deriver: job.DrvPath, Ultimate: true})
	}
	return f.st.RegisterValidPaths(ctx, infos)
}

type recordEvents struct {
	mu      sync.Mutex
	planned []string
	failed  map[string]string
	done    []string
}

func (r *recordEvents) WillBuild(d []string)     { r.planned = append([]string(nil), d...) }
func (r *recordEvents) Started(string) io.Writer { return io.Discard }
func (r *recordEvents) Done(d string)            { r.mu.Lock(); r.done = append(r.done, d); r.mu.Unlock() }
func (r *recordEvents) Failed(d string, err error) {
	r.mu.Lock()
	r.failed[d] = err.Error()
	r.mu.Unlock()
}

// addDrv writes a derivation named name depending on deps (by drv path)
// into the store and returns its path.
func addDrv(t *testing.T, st *local.Store, name string, deps ...string) string {
	t.Helper()
	drv := &derivation.Derivation{
		Outputs:   map[string]derivation.Output{"out": {}},
		InputDrvs: map[string][]string{},
		Platform:  "x86_64-linux", Builder: "/bin/sh",
		Env: map[string]string{"name": name, "builder": "/bin/sh", "system": "x86_64-linux", "out": ""},
	}
	for _, d := range deps {
		drv.InputDrvs[d] = []string{"out"}
	}
	var lookup derivation.Lookup
	lookup = func(p string) ([]byte, error) {
		data, err := os.ReadFile(st.RealPath(p))
		if err != nil {
			if txt, ok := st.PendingText(p); ok {
				data = []byte(txt)
			} else {
				return nil, err
			}
		}
		in, err := derivation.ParseATerm(data)
		if err != nil {
			return nil, err
		}
		return derivation.HashModulo(in, lookup)
	}
	if err := derivation.FillOutputPaths(st.StoreDir(), name, drv, lookup); err != nil {
		t.Fatal(err)
	}
	refs := append([]string(nil), deps...)
	sort.Strings(refs)
	p, err := st.AddText(context.Background(), name+".drv", string(drv.MarshalATerm()), refs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newFake(t *testing.T, root string) (*local.Store, *fakeBuilds) {
	st, err := local.Open(context.Background(), local.Options{Root: root, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, &fakeBuilds{st: st, fail: map[string]bool{}, built: &sharedCount{m: map[string]int{}}}
}

func (f *fakeBuilds) scheduler(jobs int, keepGoing bool, ev Events) *Scheduler {
	return &Scheduler{Store: f.st, Runner: f, Prepare: f.prepare, Finish: f.finish, MaxJobs: jobs, KeepGoing: keepGoing, Events: ev}
}

func TestSchedulerOrderAndSkip(t *testing.T) {
	ctx := context.Background()
	st, f := newFake(t, t.TempDir())
	a := addDrv(t, st, "a")
	b := addDrv(t, st, "b", a)
	c := addDrv(t, st, "c", a)
	d := addDrv(t, st, "d", b, c)
	ev := &recordEvents{failed: map[string]string{}}
	if err := f.scheduler(2, false, ev).Realise(ctx, []string{d}); err != nil {
		t.Fatal(err)
	}
	if len(ev.planned) != 4 || len(ev.done) != 4 {
		t.Fatalf("planned %v, done %v", ev.planned, ev.done)
	}
	pos := map[string]int{}
	for i, p := range ev.done {
		pos[p] = i
	}
	if !(pos[a] < pos[b] && pos[a] < pos[c] && pos[b] < pos[d] && pos[c] < pos[d]) {
		t.Errorf("built out of order: %v", ev.done)
	}
	// Everything valid now: nothing is built again.
	ev2 := &recordEvents{failed: map[string]string{}}
	if err := f.scheduler(2, false, ev2).Realise(ctx, []string{d}); err != nil || len(ev2.planned) != 0 {
		t.Fatalf("second realise: planned %v, %v", ev2.planned, err)
	}
	for name, n := range f.built.m {
		if n != 1 {
			t.Errorf("%s built %d times", name, n)
		}
	}
}

func TestSchedulerMaxJobs(t *testing.T) {
	st, f := newFake(t, t.TempDir())
	var drvs []string
	for i := 0; i < 12; i++ {
		drvs = append(drvs, addDrv(t, st, fmt.Sprintf("p%d", i)))
	}
	if err := f.scheduler(3, false, nil).Realise(context.Background(), drvs); err != nil {
		t.Fatal(err)
	}
	if m := f.maxActive.Load(); m > 3 || m < 2 {
		t.Errorf("max concurrent builds = %d, want 2..3 with MaxJobs 3", m)
	}
}

func TestSchedulerKeepGoing(t *testing.T) {
	st, f := newFake(t, t.TempDir())
	bad := addDrv(t, st, "bad")
	mid := addDrv(t, st, "mid", bad)
	top := addDrv(t, st, "top", mid)
	var ok []string
	for i := 0; i < 5; i++ {
		ok = append(ok, addDrv(t, st, fmt.Sprintf("ok%d", i)))
	}
	f.fail["bad"] = true
	ev := &recordEvents{failed: map[string]string{}}
	err := f.scheduler(2, true, ev).Realise(context.Background(), append([]string{top}, ok...))
	var fl *Failure
	if !errors.As(err, &fl) {
		t.Fatalf("Realise = %v, want a *Failure", err)
	}
	// bad and mid have dependents waiting: reported at once. top is what
	// was asked for: its error comes back in the Failure.
	if !strings.Contains(ev.failed[bad], "failed with exit code 1") ||
		ev.failed[mid] != "1 dependencies of derivation '"+mid+"' failed to build" || ev.failed[top] != "" {
		t.Errorf("failures reported: %v", ev.failed)
	}
	if len(fl.Failed) != 1 || fl.Failed[0].DrvPath != top || fl.Failed[0].Err == nil ||
		fl.Failed[0].Err.Error() != "1 dependencies of derivation '"+top+"' failed to build" || fl.ExitStatus() != 100 {
		t.Errorf("Failure = %+v", fl)
	}
	for i := 0; i < 5; i++ {
		if f.built.get(fmt.Sprintf("ok%d", i)) != 1 {
			t.Errorf("ok%d not built with --keep-going", i)
		}
	}
	if f.built.get("mid") != 0 || f.built.get("top") != 0 {
		t.Errorf("dependents of a failure were built: %v", f.built.m)
	}
}

// TestSchedulerTwoProcesses has two schedulers (two store handles, as two
// processes would have) realise one graph at once: each derivation is built
// exactly once, the second waiting on the first's output locks.
func TestSchedulerTwoProcesses(t *testing.T) {
	root := t.TempDir()
	st1, f1 := newFake(t, root)
	_, f2 := newFake(t, root)
	f2.built = f1.built
	var prev []string
	var all []string
	for i := 0; i < 30; i++ {
		p := addDrv(t, st1, fmt.Sprintf("n%d", i), prev...)
		all = append(all, p)
		prev = []string{p}
		if i%5 == 4 {
			prev = nil
		}
	}
	st1.Flush(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, f := range []*fakeBuilds{f1, f2} {
		wg.Add(1)
		go func(i int, f *fakeBuilds) {
			defer wg.Done()
			errs[i] = f.scheduler(3, false, nil).Realise(context.Background(), all)
		}(i, f)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 30; i++ {
		if n := f1.built.get(fmt.Sprintf("n%d", i)); n != 1 {
			t.Errorf("n%d built %d times", i, n)
		}
	}
}

// TestFailureExitStatus: Nix 2.8's Worker::exitStatus bits.
func TestFailureExitStatus(t *testing.T) {
	for _, c := range []struct {
		f    Failure
		want int
	}{
		{Failure{}, 100},
		{Failure{NoBuildFailed: true}, 1},
		{Failure{HashMismatch: true}, 102},
		{Failure{HashMismatch: true, NoBuildFailed: true}, 102},
		{Failure{CheckMismatch: true, NoBuildFailed: true}, 104},
		{Failure{CheckMismatch: true}, 108},
		{Failure{CheckMismatch: true, HashMismatch: true}, 110},
	} {
		if got := c.f.ExitStatus(); got != c.want {
			t.Errorf("%+v: exit status %d, want %d", c.f, got, c.want)
		}
	}
}
