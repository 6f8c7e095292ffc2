package gcsafety

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/store/local"
	"gonix/internal/testutil"
	"gonix/internal/testutil/storecheck"
)

// gonixBin is the binary under test, built once by TestMain and only read
// afterwards; buildErr says why it could not be built.
var gonixBin, buildErr string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "gonix-tests-gcsafety")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gonixBin = filepath.Join(dir, "gonix")
	if out, err := exec.Command("go", "build", "-o", gonixBin, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		buildErr = fmt.Sprintf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	trials        = 20
	adders        = 2
	addsPerAdder  = 4 // half rooted in advance, half garbage at once
	builders      = 2
	buildsPerProc = 3
)

// derivationNix builds a top derivation referring to a dependency shared by
// every build of the trial, so builders also race on one another's locks.
const derivationNix = `{ n, trial }:
let dep = derivation { name = "dep-${trial}"; system = builtins.currentSystem; builder = "/bin/sh";
      args = [ "-c" "echo dependency ${trial} > $out" ]; };
in derivation { name = "top-${n}"; system = builtins.currentSystem; builder = "/bin/sh";
      args = [ "-c" "echo ${dep} ${n} > $out" ]; }
`

// canBuild reports why sandboxed builds with busybox as /bin/sh cannot run
// here, or nil.
func canBuild() error {
	if os.Geteuid() != 0 {
		return errors.New("not root (builds need namespaces)")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		return err
	}
	return nil
}

// TestGCSafety runs trials in which collectors loop while adders and
// builders work on the same chroot store, then checks that everything the
// adders and builders printed, with its closure, is valid with the
// registered NAR hash, and that the store verifies.
func TestGCSafety(t *testing.T) {
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	buildReason := canBuild()
	deleted := 0
	for trial := 0; trial < trials; trial++ {
		deleted += runTrial(t, trial, buildReason == nil)
		if t.Failed() {
			return
		}
	}
	if deleted == 0 {
		t.Errorf("the collectors deleted nothing in %d trials: they never raced with anything", trials)
	}
	t.Logf("%d trials, %d paths deleted while adders and builders worked", trials, deleted)
	if buildReason != nil {
		testutil.Missing(t, "root and /bin/busybox for the concurrent builders (adders and collectors did run)", buildReason)
	}
}

// outcome is one gonix command's end.
type outcome struct {
	args           []string
	err            error
	stdout, stderr string
}

type runner struct {
	t    *testing.T
	dir  string
	root string
	env  []string

	mu       sync.Mutex
	failures []string
}

func (r *runner) run(args ...string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gonixBin, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	o := outcome{args: args, err: err, stdout: out.String(), stderr: errb.String()}
	if err != nil {
		r.fail(fmt.Sprintf("gonix %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, o.stdout, o.stderr))
	}
	return o
}

func (r *runner) fail(msg string) {
	r.mu.Lock()
	r.failures = append(r.failures, msg)
	r.mu.Unlock()
}

func testEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "NIX_PATH", "NIX_REMOTE", "NIX_STORE_DIR", "NIX_STATE_DIR", "NIX_CONF_DIR", "TMPDIR":
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(dir, "home")
	os.MkdirAll(home, 0o755)
	return append(env, "HOME="+home, "TMPDIR="+dir, "NIX_CONF_DIR="+home)
}

// genTree writes a small tree whose contents depend on seed, and returns
// the path `nix-store --add` must give it.
func genTree(dir string, seed uint64) (string, error) {
	rng := rand.New(rand.NewPCG(seed, 0x9c))
	for i := 0; i < 6; i++ {
		sub := filepath.Join(dir, "d"+strconv.Itoa(i%2))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return "", err
		}
		buf := make([]byte, 64+rng.IntN(4096))
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(sub, "f"+strconv.Itoa(i)), buf, 0o644); err != nil {
			return "", err
		}
	}
	sum, _, err := nar.HashPath(dir, nil)
	if err != nil {
		return "", err
	}
	return storepath.MakeFixedOutputPath("/nix/store", filepath.Base(dir), true, hash.Hash{Algo: hash.SHA256, Digest: sum}, nil)
}

// runTrial runs one trial and returns how many paths the collectors deleted.
func runTrial(t *testing.T, trial int, build bool) int {
	dir := t.TempDir()
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	r := &runner{t: t, dir: dir, root: filepath.Join(dir, "store"), env: testEnv(dir)}
	common := []string{"--store", r.root, "--option", "substituters", ""}
	if err := os.WriteFile(filepath.Join(dir, "d.nix"), []byte(derivationNix), 0o644); err != nil {
		t.Fatal(err)
	}
	r.run(append([]string{"nix-store", "--init"}, common...)...)
	gcroots := filepath.Join(r.root, "nix/var/nix/gcroots")
	holder, err := local.Open(context.Background(), local.Options{Root: r.root})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	// Garbage for the first collections: trees nobody roots.
	for i := 0; i < 4; i++ {
		src := filepath.Join(dir, fmt.Sprintf("junk-%d-%d", trial, i))
		if _, err := genTree(src, uint64(trial*1000+900+i)); err != nil {
			t.Fatal(err)
		}
		r.run(append(append([]string{"nix-store"}, common...), "--add", src)...)
	}

	type kept struct{ path, by string }
	var (
		mu   sync.Mutex
		keep []kept
	)
	var workers sync.WaitGroup
	for a := 0; a < adders; a++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := 0; i < addsPerAdder; i++ {
				name := fmt.Sprintf("tree-%d-%d-%d", trial, a, i)
				src := filepath.Join(dir, name)
				want, err := genTree(src, uint64(trial*1000+a*100+i))
				if err != nil {
					r.fail(err.Error())
					return
				}
				rooted := i%2 == 0
				if rooted {
					// What a program that adds a path and then roots it
					// does: hold a temporary root from before the add
					// until the permanent root exists (spec/store.md
					// §7.10). A collector must honour it even while the
					// path is invalid.
					if err := holder.AddTempRoot(context.Background(), want); err != nil {
						r.fail(err.Error())
						return
					}
				}
				o := r.run(append(append([]string{"nix-store"}, common...), "--add", src)...)
				if o.err != nil {
					continue
				}
				if got := strings.TrimSpace(o.stdout); got != want {
					r.fail(fmt.Sprintf("nix-store --add %s printed %q, want %q", src, got, want))
				} else if rooted {
					mu.Lock()
					keep = append(keep, kept{want, "nix-store --add " + src})
					mu.Unlock()
				}
			}
		}()
	}
	if build {
		for b := 0; b < builders; b++ {
			workers.Add(1)
			go func() {
				defer workers.Done()
				for i := 0; i < buildsPerProc; i++ {
					n := fmt.Sprintf("%d-%d-%d", trial, b, i)
					args := append(append([]string{"nix-build"}, common...),
						"--option", "sandbox-paths", "/bin/sh=/bin/busybox",
						"-o", filepath.Join(dir, "result-"+n), "d.nix",
						"--argstr", "n", n, "--argstr", "trial", strconv.Itoa(trial))
					o := r.run(args...)
					if o.err != nil {
						continue
					}
					p := strings.TrimSpace(o.stdout)
					if !strings.HasPrefix(p, "/nix/store/") || strings.Contains(p, "\n") {
						r.fail(fmt.Sprintf("nix-build %s printed %q, want one store path", n, p))
						continue
					}
					mu.Lock()
					keep = append(keep, kept{p, "nix-build " + n})
					mu.Unlock()
				}
			}()
		}
	}
	done := make(chan struct{})
	var collector sync.WaitGroup
	deleted := 0
	var gcLogs []string
	collector.Add(1)
	go func() {
		defer collector.Done()
		for k := 0; ; k++ {
			var o outcome
			if k%2 == 0 {
				o = r.run(append(append([]string{"nix-store"}, common...), "--gc")...)
			} else {
				o = r.run(append([]string{"nix-collect-garbage"}, common...)...)
			}
			deleted += strings.Count(o.stderr, "deleting '")
			gcLogs = append(gcLogs, fmt.Sprintf("[%s] %q\n%s", time.Now().Format("15:04:05.000"), o.args[:1], o.stderr))
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	workers.Wait()
	close(done)
	collector.Wait()
	// The added paths get permanent roots while their temporary roots are
	// still held; then the temporary roots go.
	for _, k := range keep {
		if strings.HasPrefix(k.by, "nix-store --add") {
			if err := os.Symlink(k.path, filepath.Join(gcroots, filepath.Base(k.path))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	// One more collection with nobody working: roots alone must keep
	// everything that was printed.
	o := r.run(append(append([]string{"nix-store"}, common...), "--gc")...)
	deleted += strings.Count(o.stderr, "deleting '")

	for _, f := range r.failures {
		t.Errorf("trial %d: %s", trial, f)
	}
	if t.Failed() {
		t.Logf("trial %d: what the collectors did:\n%s", trial, deletionsOf(gcLogs, ""))
		return deleted
	}
	valid, err := storecheck.ValidPaths(context.Background(), r.root, nil)
	if err != nil {
		t.Fatalf("trial %d: store check: %v", trial, err)
	}
	isValid := make(map[string]bool, len(valid))
	for _, p := range valid {
		isValid[p] = true
	}
	var printed []string
	for _, k := range keep {
		if !isValid[k.path] {
			t.Errorf("trial %d: %s printed %s, which is no longer valid; collections:\n%s", trial, k.by, k.path, deletionsOf(gcLogs, k.path))
		}
		printed = append(printed, k.path)
	}
	if want := adders*addsPerAdder/2 + map[bool]int{true: builders * buildsPerProc}[build]; len(keep) != want {
		t.Errorf("trial %d: %d paths printed by adders and builders, want %d", trial, len(keep), want)
	}
	if t.Failed() || len(printed) == 0 {
		return deleted
	}
	q := r.run(append(append([]string{"nix-store"}, common...), append([]string{"-qR"}, printed...)...)...)
	for _, p := range strings.Fields(q.stdout) {
		if !isValid[p] {
			t.Errorf("trial %d: %s, in the closure of what was printed, is not valid", trial, p)
		}
	}
	r.run(append(append([]string{"nix-store"}, common...), "--verify", "--check-contents")...)
	for _, f := range r.failures {
		t.Errorf("trial %d: %s", trial, f)
	}
	return deleted
}

// deletionsOf picks, from the collectors' logs, the runs that mention p,
// and from them the lines that tell what was deleted and why.
func deletionsOf(logs []string, p string) string {
	var b strings.Builder
	for _, l := range logs {
		if !strings.Contains(l, p) {
			continue
		}
		for _, line := range strings.SplitAfter(l, "\n") {
			if strings.HasPrefix(line, "[") || strings.Contains(line, "deleting '") ||
				strings.Contains(line, "removing stale") || strings.Contains(line, "cannot read potential root") {
				b.WriteString(line)
			}
		}
	}
	return b.String()
}
