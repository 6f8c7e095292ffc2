package crashsafety

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
)

// A fixture is what the kill loops share: the binary under test, the
// generated trees and a seeded random source.
type fixture struct {
	gonix  string
	work   string // trees, streams
	stores string // chroot stores, one directory each
	tmp    string // TMPDIR of the commands under test
	seed   uint64
	rng    *rand.Rand
	big    *tree
	small  *tree
}

// A job is one command the kill loop runs: its arguments after "gonix"
// (the first one is the command name; --store follows it), the file its
// standard input comes from, and the paths it must make valid.
type job struct {
	args    []string
	stdin   string
	names   []string // short names of the paths, for the log
	paths   []string
	trees   []*tree
	ordered bool          // the command prints paths in the order of paths
	d       time.Duration // how long it takes when left alone
}

func newFixture(t *testing.T) *fixture {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("GONIX_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GONIX_CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with GONIX_CRASH_SEED=%d)", seed, seed)
	f := &fixture{seed: seed, rng: rand.New(rand.NewPCG(seed, 0)), work: t.TempDir()}
	chmodCleanup(t, f.work)
	f.stores = filepath.Join(f.work, "stores")
	f.tmp = filepath.Join(f.work, "tmp")
	for _, d := range []string{f.stores, f.tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	f.gonix = buildGonix(t, f.work)
	t.Logf("build: %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	f.big = &tree{dir: filepath.Join(f.work, "big-0")}
	f.small = &tree{dir: filepath.Join(f.work, "small-0")}
	var totalFiles int
	var totalBytes int64
	for _, g := range []struct {
		tr   *tree
		spec treeSpec
	}{{f.big, bigSpec}, {f.small, smallSpec}} {
		files, n, err := genTree(g.tr.dir, g.spec)
		if err != nil {
			t.Fatal(err)
		}
		sum, size, err := nar.HashPath(g.tr.dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		g.tr.narHash = hash.Hash{Algo: hash.SHA256, Digest: sum}
		g.tr.narSize = uint64(size)
		totalFiles += files
		totalBytes += n
	}
	t.Logf("trees: big %d NAR bytes, small %d NAR bytes (%d files, %d MB of contents), generated in %v",
		f.big.narSize, f.small.narSize, totalFiles, totalBytes>>20, time.Since(start).Round(time.Millisecond))
	return f
}

// rename gives tr's directory a new base name and returns the store path
// `nix-store --add` makes of it: the name is part of the path, so the same
// contents give a new path that a reused store does not hold yet.
func (f *fixture) rename(t *testing.T, tr *tree, base string) string {
	t.Helper()
	next := filepath.Join(f.work, base)
	if err := os.Rename(tr.dir, next); err != nil {
		t.Fatal(err)
	}
	tr.dir = next
	p, err := tr.storePathFor(base)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addJob is `nix-store --add` of trees under their current names.
func addJob(t *testing.T, trees ...*tree) *job {
	t.Helper()
	j := &job{args: []string{"nix-store", "--add"}, trees: trees, ordered: true}
	for _, tr := range trees {
		p, err := tr.storePathFor(filepath.Base(tr.dir))
		if err != nil {
			t.Fatal(err)
		}
		j.args = append(j.args, tr.dir)
		j.names = append(j.names, strings.SplitN(filepath.Base(tr.dir), "-", 2)[0])
		j.paths = append(j.paths, p)
	}
	return j
}

// complete runs j to its end on storeDir and checks its exit, its output
// and the store.
func (f *fixture) complete(t *testing.T, storeDir string, j *job, known map[string]*tree) (time.Duration, error) {
	t0 := time.Now()
	res := f.run(storeDir, j, 0, false)
	d := time.Since(t0)
	if res.err != nil {
		return d, fmt.Errorf("%v\n%s", res.err, res.stderr)
	}
	got, want := strings.Fields(res.stdout), append([]string(nil), j.paths...)
	if !j.ordered {
		sort.Strings(got)
		sort.Strings(want)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		return d, fmt.Errorf("printed %q, want %q", got, want)
	}
	valid, err := checkStore(t, storeDir, known)
	if err != nil {
		return d, err
	}
	for _, p := range j.paths {
		if !valid[p] {
			return d, fmt.Errorf("%s is not valid after a successful run", p)
		}
	}
	return d, nil
}

// measure is D: the shorter of two complete runs of j into fresh stores.
func (f *fixture) measure(t *testing.T, j *job) time.Duration {
	t.Helper()
	known := map[string]*tree{}
	for i, p := range j.paths {
		known[p] = j.trees[i]
	}
	var best time.Duration
	for range 2 {
		dir, err := os.MkdirTemp(f.stores, "measure-")
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.complete(t, dir, j, known)
		if err != nil {
			t.Fatalf("clean run of gonix %s: %v", strings.Join(j.args, " "), err)
		}
		if err := removeStore(dir); err != nil {
			t.Fatal(err)
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best
}

// killLoop runs trials: next(i, use) gives the job of trial i, the use-th
// on the current store (1, 2 or 3) — a job whose paths that store does not
// hold yet. Each trial kills the job once (or twice) at a random moment,
// checks the store, then runs it to completion and checks again.
func (f *fixture) killLoop(t *testing.T, trials int, next func(i, use int) *job) {
	coarse := map[string]int{}
	detailed := map[string]int{}
	var leftovers, spools, printedInvalid, kills int
	var tKill, tCheck, tComplete time.Duration
	var storeDir string
	var known map[string]*tree // every path the current store may hold
	storeUses := 0
	loopStart := time.Now()
	for i := 0; i < trials; i++ {
		// Rotate stores: a store is reused for up to three trials, so
		// leftovers of earlier kills (temporary objects, lock files,
		// unregistered objects, a WAL) meet later runs.
		if storeDir == "" || storeUses >= 1+f.rng.IntN(3) {
			if storeDir != "" {
				if err := removeStore(storeDir); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if storeDir, err = os.MkdirTemp(f.stores, "trial-"); err != nil {
				t.Fatal(err)
			}
			storeUses = 0
			known = map[string]*tree{}
		}
		storeUses++
		j := next(i, storeUses)
		for k, p := range j.paths {
			known[p] = j.trees[k]
		}
		n := 1
		if f.rng.IntN(5) == 0 {
			n = 2 // a second kill meets the leftovers of the first at the same paths
		}
		for k := 0; k < n; k++ {
			delay := killDelay(f.rng, j.d)
			desc := fmt.Sprintf("trial %d (seed %d) kill %d after %v, store %s use %d",
				i, f.seed, k+1, delay.Round(time.Microsecond), filepath.Base(storeDir), storeUses)
			t0 := time.Now()
			res := f.run(storeDir, j, delay, true)
			tKill += time.Since(t0)
			kills++
			if res.exited && res.err != nil {
				t.Fatalf("%s: gonix %s failed on its own: %v\n%s", desc, strings.Join(j.args, " "), res.err, res.stderr)
			}
			disk := lookOnDisk(storeDir, res.pid, j.paths)
			t0 = time.Now()
			valid, err := checkStore(t, storeDir, known)
			tCheck += time.Since(t0)
			if err != nil {
				t.Fatalf("%s: %v", desc, err)
			}
			detail, ph := classify(j.names, j.paths, disk, valid, res.exited)
			coarse[ph]++
			detailed[detail]++
			// Nix prints a path once it is registered; so must gonix.
			for _, p := range strings.Fields(res.stdout) {
				if !valid[p] {
					printedInvalid++
					t.Errorf("%s: the killed run printed %s, which is not valid", desc, p)
				}
			}
			t.Logf("%s: %s: %s", desc, ph, detail)
		}
		temps, _ := filepath.Glob(filepath.Join(storeDir, "nix/store/.tmp-*"))
		old, _ := filepath.Glob(filepath.Join(storeDir, "nix/store/add-*"))
		leftovers += len(temps) + len(old)
		// Killed imports leave their spool files in TMPDIR: count them,
		// then clear them so that the disk does not fill up.
		if ents, err := os.ReadDir(f.tmp); err == nil {
			spools += len(ents)
			for _, e := range ents {
				t.Errorf("trial %d: a killed run left %s in TMPDIR", i, e.Name())
			}
			for _, e := range ents {
				os.RemoveAll(filepath.Join(f.tmp, e.Name()))
			}
		}

		// The next run must succeed and give the right paths.
		d, err := f.complete(t, storeDir, j, known)
		tComplete += d
		if err != nil {
			t.Fatalf("trial %d (seed %d) completing run, store %s: %v", i, f.seed, filepath.Base(storeDir), err)
		}
	}
	if storeDir != "" {
		if err := removeStore(storeDir); err != nil {
			t.Fatal(err)
		}
	}
	var details []string
	for k, n := range detailed {
		details = append(details, fmt.Sprintf("%3d  %s", n, k))
	}
	sort.Strings(details)
	t.Logf("kills by state:\n%s", strings.Join(details, "\n"))
	t.Logf("%d trials, %d kills in %v (killed runs %v, completing runs %v, checks %v); kills: before %d, during %d, after registration %d; temporary objects left in the store: %d; files left in TMPDIR: %d; paths printed by a killed run but not valid: %d",
		trials, kills, time.Since(loopStart).Round(time.Millisecond), tKill.Round(time.Millisecond), tComplete.Round(time.Millisecond), tCheck.Round(time.Millisecond),
		coarse[phaseBefore], coarse[phaseDuring], coarse[phaseAfter], leftovers, spools, printedInvalid)
	if trials >= 20 && (coarse[phaseBefore] == 0 || coarse[phaseDuring] == 0 || coarse[phaseAfter] == 0) {
		t.Errorf("the kills did not reach every phase (before %d, during %d, after %d): the tree size or the delays need adjusting",
			coarse[phaseBefore], coarse[phaseDuring], coarse[phaseAfter])
	}
}

// TestCrashSafety kills `gonix nix-store --add` (and --import) at random
// moments; see the package documentation.
func TestCrashSafety(t *testing.T) {
	f := newFixture(t)
	t.Run("add", func(t *testing.T) {
		trials := envInt(t, "GONIX_CRASH_TRIALS", 50)
		if testing.Short() {
			trials = envInt(t, "GONIX_CRASH_TRIALS", 5)
		}
		d1 := f.measure(t, addJob(t, f.big))
		d2 := f.measure(t, addJob(t, f.big, f.small))
		t.Logf("D: %v for the big tree, %v for both trees", d1.Round(time.Millisecond), d2.Round(time.Millisecond))
		f.killLoop(t, trials, func(i, use int) *job {
			f.rename(t, f.big, fmt.Sprintf("big-%d", i+1))
			trees := []*tree{f.big}
			d := d1
			// A third of the runs add two trees, so that a kill can fall
			// between the two objects.
			if f.rng.IntN(3) == 0 {
				f.rename(t, f.small, fmt.Sprintf("small-%d", i+1))
				trees, d = append(trees, f.small), d2
			}
			j := addJob(t, trees...)
			j.d = d
			return j
		})
	})
	t.Run("import", func(t *testing.T) {
		trials := envInt(t, "GONIX_CRASH_IMPORT_TRIALS", 20)
		if testing.Short() {
			trials = envInt(t, "GONIX_CRASH_IMPORT_TRIALS", 3)
		}
		f.importLoop(t, trials)
	})
}

// importLoop kills `nix-store --import` of export streams made once by
// `nix-store --export`: stream u serves a store's u-th trial, so a reused
// store never holds its paths yet.
func (f *fixture) importLoop(t *testing.T, trials int) {
	src, err := os.MkdirTemp(f.stores, "export-")
	if err != nil {
		t.Fatal(err)
	}
	defer removeStore(src)
	var streams []*job
	srcKnown := map[string]*tree{}
	for u, set := range [][]string{{"imp1"}, {"imp2", "imps"}, {"imp3"}} {
		j := &job{args: []string{"nix-store", "--import"}}
		export := &job{args: []string{"nix-store", "--export"}}
		for _, name := range set {
			tr := f.big
			if name == "imps" {
				tr = f.small
			}
			p := f.rename(t, tr, name)
			srcKnown[p] = tr
			if _, err := f.complete(t, src, addJob(t, tr), srcKnown); err != nil {
				t.Fatalf("add %s for the export: %v", name, err)
			}
			export.args = append(export.args, p)
			j.names, j.paths, j.trees = append(j.names, name), append(j.paths, p), append(j.trees, tr)
		}
		res := f.run(src, export, 0, false)
		if res.err != nil {
			if strings.Contains(res.stderr, "unknown") || strings.Contains(res.stderr, "not supported") {
				t.Skipf("gonix nix-store --export is not there yet: %s", res.stderr)
			}
			t.Fatalf("gonix nix-store --export: %v\n%s", res.err, res.stderr)
		}
		j.stdin = filepath.Join(f.work, fmt.Sprintf("stream%d", u+1))
		if err := os.WriteFile(j.stdin, []byte(res.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		j.d = f.measure(t, j)
		t.Logf("stream %d: %s, %d bytes, D %v", u+1, strings.Join(j.names, " "), len(res.stdout), j.d.Round(time.Millisecond))
		streams = append(streams, j)
	}
	f.killLoop(t, trials, func(i, use int) *job { return streams[use-1] })
}
