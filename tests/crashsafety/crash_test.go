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
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/testutil/storecheck"
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

// cmdResult is how one run of gonix ended.
type cmdResult struct {
	pid    int
	exited bool // it ended on its own before the kill
	err    error
	stdout string
	stderr string
}

// run starts `gonix ARGS...` on the chroot store storeDir (with standard
// input from the file stdin, if set); with killIt it sends SIGKILL after
// delay (measured from the start), otherwise it waits for the command to
// end (at most a minute).
func (f *fixture) run(storeDir string, j *job, delay time.Duration, killIt bool) cmdResult {
	argv := append([]string{j.args[0], "--store", storeDir}, j.args[1:]...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.gonix, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The import spools to TMPDIR; keep what killed runs leave there apart.
	cmd.Env = append(os.Environ(), "NIX_REMOTE=", "TMPDIR="+f.tmp)
	if j.stdin != "" {
		in, err := os.Open(j.stdin)
		if err != nil {
			return cmdResult{err: fmt.Errorf("open %s: %w", j.stdin, err)}
		}
		defer in.Close()
		cmd.Stdin = in
	}
	if err := cmd.Start(); err != nil {
		return cmdResult{err: fmt.Errorf("start %s: %w", f.gonix, err)}
	}
	res := cmdResult{pid: cmd.Process.Pid}
	if killIt {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			res.exited, res.err = true, err
		case <-time.After(delay):
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
	all, err := storecheck.ValidPaths(context.Background(), root, func(p string, info *store.PathInfo, real string) error {
		tr := want[p]
		if tr == nil {
			return fmt.Errorf("%s is valid, but no add of this test gives that path", p)
		}
		if !info.NarHash.Equal(tr.narHash) || info.NarSize != tr.narSize {
			return fmt.Errorf("valid path %s registered as %s (%d bytes), its source is %s (%d bytes)",
				p, info.NarHash, info.NarSize, tr.narHash, tr.narSize)
		}
		if err := storecheck.Canonical(real); err != nil {
			return fmt.Errorf("valid path %s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	valid = make(map[string]bool, len(all))
	for _, p := range all {
		valid[p] = true
	}
	return valid, nil
}

// killDelay draws when to kill an add that takes d when left alone. A plain
// uniform draw over [0, 1.2·d] would seldom hit the short windows at both
// ends (start-up and database creation; rename, sync and commit), so a
// tenth of the draws fall in the first 5%, a tenth in [2·d, 8·d] and two
// fifths in [0.6·d, d] (d includes the process's exit, and a reused store
// is a little faster).
func killDelay(rng *rand.Rand, d time.Duration) time.Duration {
	lo, hi := 0.0, 1.2
	switch x := rng.IntN(10); {
	case x == 0:
		hi = 0.05
	case x == 1:
		// Well past the end: under load (CI runs test packages side by
		// side) a run takes several times the D measured before the
		// loop, and some kills must still land after the registration.
		lo, hi = 2.0, 8.0
	case x >= 6:
		lo, hi = 0.6, 1.0
	}
	return time.Duration((lo + (hi-lo)*rng.Float64()) * float64(d))
}
