package crashsafety

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/store/local"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// The big tree: ~100 MB in three large files and 1,000 small ones, so that
// one add into a fresh store takes a few hundred milliseconds on a CI
// machine (creating files costs more than writing bytes: on ext4 with many
// recently deleted inodes, ~0.3 ms a file) and 50 trials fit in about two
// minutes.
var bigSpec = treeSpec{
	seed:       1,
	large:      []int{48 << 20, 32 << 20, 16 << 20},
	dirs:       50,
	smallFiles: 1000,
	smallMax:   12 << 10,
}

// The second tree of two-tree adds, so that a kill can land between two
// registrations of one command.
var smallSpec = treeSpec{
	seed:       2,
	large:      []int{12 << 20},
	dirs:       10,
	smallFiles: 300,
	smallMax:   8 << 10,
}

// A tree is a generated directory and what adding it must give.
type tree struct {
	dir     string
	narHash hash.Hash
	narSize uint64
}

// storePathFor is the path `nix-store --add` gives a tree whose directory is
// named name (the base name is the store path's name).
func (tr *tree) storePathFor(name string) (string, error) {
	return storepath.MakeFixedOutputPath("/nix/store", name, true, tr.narHash, nil)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

// chmodCleanup makes every directory under dir writable again when the test
// ends, so that the temporary directory (holding read-only store objects)
// can be removed by an unprivileged user too.
func chmodCleanup(t *testing.T, dir string) {
	t.Cleanup(func() { makeWritable(dir) })
}

func makeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

func removeStore(dir string) error {
	makeWritable(dir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove store %s: %w", dir, err)
	}
	return nil
}

// buildGonix builds the binary under test once.
func buildGonix(t *testing.T, dir string) string {
	t.Helper()
	if g := os.Getenv("GONIX_CRASH_GONIX"); g != "" {
		return g
	}
	bin := filepath.Join(dir, "gonix")
	out, err := exec.Command("go", "build", "-o", bin, "gonix/cmd/gonix").CombinedOutput()
	if err != nil {
		t.Fatalf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	return bin
}

// addResult is how one run of `gonix nix-store --add` ended.
type addResult struct {
	pid    int
	exited bool // it ended on its own before the kill
	err    error
	stdout string
	stderr string
}

// runAdd starts `gonix nix-store --store S --add DIRS...`; with kill > 0 it
// sends SIGKILL after that delay (measured from the start), otherwise it
// waits for the command to end (at most a minute).
func runAdd(gonix, storeDir string, dirs []string, kill time.Duration, killIt bool) addResult {
	argv := append([]string{"nix-store", "--store", storeDir, "--add"}, dirs...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gonix, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "NIX_REMOTE=")
	if err := cmd.Start(); err != nil {
		return addResult{err: fmt.Errorf("start %s: %w", gonix, err)}
	}
	res := addResult{pid: cmd.Process.Pid}
	if killIt {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			res.exited, res.err = true, err
		case <-time.After(kill):
			// The process may end between the timer and the signal; then
			// Wait reports its real exit.
			cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
				res.err = err
			} else {
				res.exited, res.err = true, err
			}
		}
	} else {
		res.exited = true
		res.err = cmd.Wait()
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return res
}

// onDisk is what a killed add left of each of its paths, read from the
// file system before anything opens the store: whether the object is at its
// final name, and whether a temporary object of the killed process exists.
type onDisk struct {
	placed  []bool
	copying bool
}

func lookOnDisk(root string, pid int, paths []string) onDisk {
	realStore := filepath.Join(root, "nix/store")
	var d onDisk
	for _, p := range paths {
		_, err := os.Lstat(filepath.Join(realStore, filepath.Base(p)))
		d.placed = append(d.placed, err == nil)
	}
	// Temporary objects are named .tmp-add-<pid>-N (older layouts:
	// add-<pid>-N/x); the pid tells this run's from earlier kills'.
	for _, pat := range []string{".tmp-*-" + strconv.Itoa(pid) + "-*", "add-" + strconv.Itoa(pid) + "-*/x"} {
		if m, _ := filepath.Glob(filepath.Join(realStore, pat)); len(m) > 0 {
			d.copying = true
		}
	}
	return d
}

// Where kills landed, coarsely: before the add wrote anything (start-up,
// hashing the source), during it (objects being copied or in place but not
// registered), after registration (every path valid).
const (
	phaseBefore = "before"
	phaseDuring = "during"
	phaseAfter  = "after"
)

// classify names the state of each path after a kill ("big:valid
// small:copying") and the coarse phase.
func classify(names []string, paths []string, d onDisk, valid map[string]bool, exited bool) (detail, coarse string) {
	var parts []string
	nValid, wrote := 0, false
	copyingShown := false
	for i, p := range paths {
		st := "none"
		switch {
		case valid[p]:
			st = "valid"
			nValid++
		case d.placed[i]:
			st = "placed"
			wrote = true
		case d.copying && !copyingShown:
			st = "copying"
			copyingShown = true
			wrote = true
		}
		parts = append(parts, names[i]+":"+st)
	}
	detail = strings.Join(parts, " ")
	if exited {
		detail += " (exited before the kill)"
	}
	switch {
	case nValid == len(paths):
		return detail, phaseAfter
	case nValid > 0 || wrote:
		return detail, phaseDuring
	}
	return detail, phaseBefore
}

// checkStore is the invariant after any crash: the database is intact and
// every valid path is complete, canonical and matches its registered NAR
// hash and size. want maps every path the store may hold to the tree it was
// added from: anything else registered (a temporary name, say) is an error.
func checkStore(t *testing.T, root string, want map[string]*tree) (valid map[string]bool, err error) {
	t.Helper()
	dbPath := filepath.Join(root, "nix/var/nix/db/db.sqlite")
	if _, err := os.Stat(dbPath); err == nil {
		if err := checkDB(dbPath); err != nil {
			return nil, err
		}
	}
	ctx := context.Background()
	s, err := local.Open(ctx, local.Options{Root: root})
	if err != nil {
		return nil, fmt.Errorf("open store after the kill: %w", err)
	}
	defer s.Close()
	all, err := s.QueryAllValidPaths(ctx)
	if err != nil {
		return nil, fmt.Errorf("query valid paths: %w", err)
	}
	valid = make(map[string]bool, len(all))
	for _, p := range all {
		valid[p] = true
		if want[p] == nil {
			return nil, fmt.Errorf("%s is valid, but no add of this test gives that path", p)
		}
		info, err := s.QueryPathInfo(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", p, err)
		}
		sum, size, err := nar.HashPath(s.RealPath(p), nil)
		if err != nil {
			return nil, fmt.Errorf("valid path %s: hash its files: %w", p, err)
		}
		got := hash.Hash{Algo: hash.SHA256, Digest: sum}
		if !got.Equal(info.NarHash) || uint64(size) != info.NarSize {
			return nil, fmt.Errorf("valid path %s is not what was registered: files give %s (%d bytes), database says %s (%d bytes)",
				p, got, size, info.NarHash, info.NarSize)
		}
		if tr := want[p]; !info.NarHash.Equal(tr.narHash) || info.NarSize != tr.narSize {
			return nil, fmt.Errorf("valid path %s registered as %s (%d bytes), its source is %s (%d bytes)",
				p, info.NarHash, info.NarSize, tr.narHash, tr.narSize)
		}
		if err := checkCanonical(s.RealPath(p)); err != nil {
			return nil, fmt.Errorf("valid path %s: %w", p, err)
		}
	}
	return valid, nil
}

// checkDB opens the database read-only beside the store's own connection
// logic, so a corrupt file cannot be papered over by recovery code.
func checkDB(dbPath string) error {
	c, err := sqlite.OpenConn(dbPath, sqlite.OpenReadOnly)
	if err != nil {
		return fmt.Errorf("open %s read-only: %w", dbPath, err)
	}
	defer c.Close()
	var rows []string
	err = sqlitex.ExecuteTransient(c, "pragma integrity_check", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { rows = append(rows, st.ColumnText(0)); return nil },
	})
	if err != nil {
		return fmt.Errorf("integrity_check %s: %w", dbPath, err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("integrity_check %s: %q", dbPath, rows)
	}
	var fk int
	err = sqlitex.ExecuteTransient(c, "pragma foreign_key_check", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { fk++; return nil },
	})
	if err != nil {
		return fmt.Errorf("foreign_key_check %s: %w", dbPath, err)
	}
	if fk != 0 {
		return fmt.Errorf("foreign_key_check %s: %d violations", dbPath, fk)
	}
	return nil
}

// checkCanonical requires Nix's metadata on every entry of a store object:
// mtime 1 and mode 0444 or 0555 (symlinks: only the mtime).
func checkCanonical(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return fmt.Errorf("lstat %s: %w", p, err)
		}
		if st.Mtim.Sec != 1 {
			return fmt.Errorf("%s: mtime %d, want 1", p, st.Mtim.Sec)
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
			if perm := st.Mode & 0o7777; perm != 0o444 && perm != 0o555 {
				return fmt.Errorf("%s: mode %o, want 444 or 555", p, perm)
			}
		}
		return nil
	})
}

// killDelay draws when to kill an add that takes d when left alone. A plain
// uniform draw over [0, 1.2·d] would seldom hit the short windows at both
// ends (start-up and database creation; rename, sync and commit), so a
// tenth of the draws fall in the first 5% and two fifths in [0.6·d, d]
// (d includes the process's exit, and a reused store is a little faster).
func killDelay(rng *rand.Rand, d time.Duration) time.Duration {
	lo, hi := 0.0, 1.2
	switch x := rng.IntN(10); {
	case x == 0:
		hi = 0.05
	case x >= 6:
		lo, hi = 0.6, 1.0
	}
	return time.Duration((lo + (hi-lo)*rng.Float64()) * float64(d))
}

func TestKillAdd(t *testing.T) {
	trials := envInt(t, "GONIX_CRASH_TRIALS", 50)
	if testing.Short() {
		trials = envInt(t, "GONIX_CRASH_TRIALS", 5)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("GONIX_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GONIX_CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with GONIX_CRASH_SEED=%d GONIX_CRASH_TRIALS=%d)", seed, seed, trials)
	rng := rand.New(rand.NewPCG(seed, 0))

	work := t.TempDir()
	chmodCleanup(t, work)
	start := time.Now()
	gonix := buildGonix(t, work)
	t.Logf("build: %v", time.Since(start).Round(time.Millisecond))

	// Trees are renamed between trials: the store path's name is the
	// directory's base name, so the same contents give a new path, and a
	// reused store does not already hold it.
	start = time.Now()
	big := &tree{dir: filepath.Join(work, "big-0")}
	small := &tree{dir: filepath.Join(work, "small-0")}
	var totalFiles int
	var totalBytes int64
	for _, g := range []struct {
		tr   *tree
		spec treeSpec
	}{{big, bigSpec}, {small, smallSpec}} {
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
		big.narSize, small.narSize, totalFiles, totalBytes>>20, time.Since(start).Round(time.Millisecond))

	// One complete add into a fresh store gives D and checks that the
	// command prints the path the test computes.
	stores := filepath.Join(work, "stores")
	if err := os.Mkdir(stores, 0o755); err != nil {
		t.Fatal(err)
	}
	measure := func(trees ...*tree) time.Duration {
		t.Helper()
		dir, err := os.MkdirTemp(stores, "measure-")
		if err != nil {
			t.Fatal(err)
		}
		var dirs, want []string
		known := map[string]*tree{}
		for _, tr := range trees {
			p, err := tr.storePathFor(filepath.Base(tr.dir))
			if err != nil {
				t.Fatal(err)
			}
			dirs, want = append(dirs, tr.dir), append(want, p)
			known[p] = tr
		}
		t0 := time.Now()
		res := runAdd(gonix, dir, dirs, 0, false)
		d := time.Since(t0)
		if res.err != nil {
			t.Fatalf("clean add: %v\n%s", res.err, res.stderr)
		}
		if got := strings.Fields(res.stdout); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("clean add printed %q, want %q", got, want)
		}
		if _, err := checkStore(t, dir, known); err != nil {
			t.Fatal(err)
		}
		if err := removeStore(dir); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d1 := min(measure(big), measure(big))
	d2 := min(measure(big, small), measure(big, small))
	t.Logf("D: %v for the big tree, %v for both trees", d1.Round(time.Millisecond), d2.Round(time.Millisecond))

	coarse := map[string]int{}
	detailed := map[string]int{}
	var leftovers, printedInvalid int
	var tKill, tCheck, tComplete time.Duration
	var storeDir string
	var known map[string]*tree // every path the current store may hold
	storeUses := 0
	loopStart := time.Now()
	for i := 0; i < trials; i++ {
		// Rotate stores: a store is reused for up to three trials, so
		// leftovers of earlier kills (temporary objects, lock files,
		// unregistered objects, a WAL) meet later adds.
		if storeDir == "" || storeUses >= 1+rng.IntN(3) {
			if storeDir != "" {
				if err := removeStore(storeDir); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if storeDir, err = os.MkdirTemp(stores, "trial-"); err != nil {
				t.Fatal(err)
			}
			storeUses = 0
			known = map[string]*tree{}
		}
		storeUses++

		// A new name per trial gives a new store path with the same contents.
		trees := []*tree{big}
		if rng.IntN(3) == 0 {
			trees = append(trees, small)
		}
		var dirs, names, paths []string
		for _, tr := range trees {
			name := strings.SplitN(filepath.Base(tr.dir), "-", 2)[0]
			next := filepath.Join(work, fmt.Sprintf("%s-%d", name, i+1))
			if err := os.Rename(tr.dir, next); err != nil {
				t.Fatal(err)
			}
			tr.dir = next
			p, err := tr.storePathFor(filepath.Base(next))
			if err != nil {
				t.Fatal(err)
			}
			dirs, names, paths = append(dirs, next), append(names, name), append(paths, p)
			known[p] = tr
		}
		d := d1
		if len(trees) == 2 {
			d = d2
		}
		kills := 1
		if rng.IntN(5) == 0 {
			kills = 2 // a second kill meets the leftovers of the first at the same paths
		}
		for k := 0; k < kills; k++ {
			delay := killDelay(rng, d)
			desc := fmt.Sprintf("trial %d (seed %d) kill %d after %v, store %s use %d",
				i, seed, k+1, delay.Round(time.Microsecond), filepath.Base(storeDir), storeUses)
			t0 := time.Now()
			res := runAdd(gonix, storeDir, dirs, delay, true)
			tKill += time.Since(t0)
			if res.exited && res.err != nil {
				t.Fatalf("%s: the add failed on its own: %v\n%s", desc, res.err, res.stderr)
			}
			disk := lookOnDisk(storeDir, res.pid, paths)
			t0 = time.Now()
			valid, err := checkStore(t, storeDir, known)
			tCheck += time.Since(t0)
			if err != nil {
				t.Fatalf("%s: %v", desc, err)
			}
			detail, ph := classify(names, paths, disk, valid, res.exited)
			coarse[ph]++
			detailed[detail]++
			// Nix prints a path once it is registered; a killed run that
			// printed a path it had not registered yet is worth a note.
			for _, p := range strings.Fields(res.stdout) {
				if !valid[p] {
					printedInvalid++
				}
			}
			t.Logf("%s: %s: %s", desc, ph, detail)
		}
		temps, _ := filepath.Glob(filepath.Join(storeDir, "nix/store/.tmp-*"))
		old, _ := filepath.Glob(filepath.Join(storeDir, "nix/store/add-*"))
		leftovers += len(temps) + len(old)

		// The next add must succeed and give the right paths.
		desc := fmt.Sprintf("trial %d (seed %d) completing add, store %s", i, seed, filepath.Base(storeDir))
		t0 := time.Now()
		res := runAdd(gonix, storeDir, dirs, 0, false)
		tComplete += time.Since(t0)
		if res.err != nil {
			t.Fatalf("%s: %v\n%s", desc, res.err, res.stderr)
		}
		if got := strings.Fields(res.stdout); strings.Join(got, " ") != strings.Join(paths, " ") {
			t.Fatalf("%s: printed %q, want %q", desc, got, paths)
		}
		t0 = time.Now()
		valid, err := checkStore(t, storeDir, known)
		tCheck += time.Since(t0)
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		for _, p := range paths {
			if !valid[p] {
				t.Fatalf("%s: %s is not valid after a successful add", desc, p)
			}
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
	t.Logf("%d trials in %v (killed runs %v, completing runs %v, checks %v); kills: before %d, during %d, after registration %d; temporary objects left by kills: %d; paths printed by a killed run but not valid: %d",
		trials, time.Since(loopStart).Round(time.Millisecond), tKill.Round(time.Millisecond), tComplete.Round(time.Millisecond), tCheck.Round(time.Millisecond),
		coarse[phaseBefore], coarse[phaseDuring], coarse[phaseAfter], leftovers, printedInvalid)
	if trials >= 20 && (coarse[phaseBefore] == 0 || coarse[phaseDuring] == 0 || coarse[phaseAfter] == 0) {
		t.Errorf("the kills did not reach every phase (before %d, during %d, after %d): the tree size or the delays need adjusting",
			coarse[phaseBefore], coarse[phaseDuring], coarse[phaseAfter])
	}
}
