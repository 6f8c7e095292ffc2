// Command build times two nix-build commands side by side on generated
// derivation graphs: each run is
//
//	CMD --store FRESH --option substituters '' --option sandbox true
//	    --option sandbox-paths '/bin /lib /lib64 /usr' --max-jobs J
//	    --no-out-link bench.nix -A WORKLOAD
//
// into a new empty chroot store, and it prints a Markdown table per
// workload of median wall time, CPU time and peak RSS with the ratio A/B.
//
//	go run ./bench/build -a 'gonix nix-build' -b nix-build -n 5
//
// Workloads: "independent" (N trivial derivations that depend on nothing)
// and "chain" (a chain of M derivations, each referring to the previous
// one's output). Every run's printed paths and the contents of every
// output in the store (a digest of names, modes, link targets and bytes)
// must equal the first run's, and A's must equal B's. Exit 0 when all that
// holds and each wall ratio is at most its limit; 1 otherwise; 2 on bad
// usage.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// workload is one attribute of the generated file and its wall-ratio limit.
type workload struct {
	attr    string
	maxWall float64
	what    string
}

type config struct {
	a, b           []string
	aLabel, bLabel string
	common         []string
	dir            string
	runs, warmup   int
	timeout        time.Duration
	quiet          bool
	stderr         io.Writer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("build", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: build [flags]\n\nflags:")
		fl.PrintDefaults()
	}
	var (
		a         = fl.String("a", "gonix nix-build", "command A (the candidate), split on blanks")
		b         = fl.String("b", "nix-build", "command B (the reference), split on blanks")
		aLabel    = fl.String("alabel", "gonix", "name of A in the table")
		bLabel    = fl.String("blabel", "nix", "name of B in the table")
		runs      = fl.Int("n", 5, "timed runs of each command per workload")
		warmup    = fl.Int("warmup", 1, "untimed runs of each command first")
		jobs      = fl.Int("j", 2, "--max-jobs for both commands")
		indep     = fl.Int("independent", 500, "derivations in the independent workload")
		chain     = fl.Int("chain", 200, "length of the chain workload")
		maxIndep  = fl.Float64("max-independent", 0.5, "largest acceptable wall ratio A/B for the independent workload")
		maxChain  = fl.Float64("max-chain", 0.7, "largest acceptable wall ratio A/B for the chain")
		only      = fl.String("only", "", "run only this workload (independent or chain)")
		sandboxPs = fl.String("sandbox-paths", "/bin /lib /lib64 /usr", "sandbox-paths for both commands")
		timeout   = fl.Duration("timeout", 10*time.Minute, "limit for one run")
		quiet     = fl.Bool("q", false, "do not log each run on stderr")
	)
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fl.NArg() != 0 || *runs < 1 || *warmup < 0 || *jobs < 1 || *indep < 1 || *chain < 1 {
		fl.Usage()
		return 2
	}
	tmp, err := os.MkdirTemp("", "gonix-bench-build")
	if err != nil {
		fmt.Fprintln(stderr, "build:", err)
		return 1
	}
	defer removeAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "bench.nix"), []byte(benchNix(*indep, *chain)), 0o644); err != nil {
		fmt.Fprintln(stderr, "build:", err)
		return 1
	}
	cfg := &config{
		a: strings.Fields(*a), b: strings.Fields(*b), aLabel: *aLabel, bLabel: *bLabel,
		common: []string{
			"--option", "substituters", "",
			"--option", "sandbox", "true",
			"--option", "sandbox-paths", *sandboxPs,
			"--max-jobs", fmt.Sprint(*jobs),
			"--no-out-link", "bench.nix",
		},
		dir:     tmp,
		runs:    *runs,
		warmup:  *warmup,
		timeout: *timeout,
		quiet:   *quiet,
		stderr:  stderr,
	}
	if len(cfg.a) == 0 || len(cfg.b) == 0 {
		fl.Usage()
		return 2
	}
	all := []workload{
		{"independent", *maxIndep, fmt.Sprintf("%d independent trivial derivations", *indep)},
		{"chain", *maxChain, fmt.Sprintf("a chain of %d derivations", *chain)},
	}
	okAll := true
	for _, wl := range all {
		if *only != "" && *only != wl.attr {
			continue
		}
		fmt.Fprintf(stdout, "### %s: %s, --max-jobs %d\n\n", wl.attr, wl.what, *jobs)
		ok, err := bench(ctx, cfg, wl, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "build:", err)
			return 1
		}
		okAll = okAll && ok
		fmt.Fprintln(stdout)
	}
	if !okAll {
		return 1
	}
	return 0
}

// benchNix is the expression both commands build. Every builder is
// /bin/sh from the sandbox paths, so the derivations are the same for
// both tools and cost no more than a shell start each.
func benchNix(indep, chain int) string {
	return fmt.Sprintf(`let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
  };
  link = i: prev: mk "chain-${toString i}"
    (if prev == null then "echo 0 > $out" else "echo ${toString i} ${prev} > $out");
  chainOf = n: builtins.foldl' (prev: i: link i prev) null (builtins.genList (i: i) n);
in {
  independent = builtins.genList (i: mk "indep-${toString i}" "echo ${toString i} > $out") %d;
  chain = chainOf %d;
}
`, indep, chain)
}

// sample is one timed run.
type sample struct {
	wall, cpu time.Duration
	rssKiB    int64
}

// side is what one command did over all its runs on one workload.
type side struct {
	label   string
	argv    []string
	samples []sample
	out     string // printed paths and store digest of the first run
	failure string
}

func bench(ctx context.Context, cfg *config, wl workload, w io.Writer) (bool, error) {
	home := filepath.Join(cfg.dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return false, err
	}
	env := benchEnv(home)
	sides := []*side{{label: cfg.aLabel, argv: cfg.a}, {label: cfg.bLabel, argv: cfg.b}}
	n := 0
	for i := 0; i < cfg.warmup+cfg.runs; i++ {
		for _, s := range sides {
			if s.failure != "" {
				continue
			}
			n++
			store := filepath.Join(cfg.dir, fmt.Sprintf("store-%s-%d", wl.attr, n))
			argv := append(append([]string{}, s.argv...), "--store", store)
			argv = append(append(argv, cfg.common...), "-A", wl.attr)
			smp, printed, err := once(ctx, cfg, argv, env)
			var out string
			if err == nil {
				var digest string
				digest, err = storeDigest(store, printed)
				out = string(printed) + digest
			}
			removeAll(store)
			switch {
			case err != nil:
				s.failure = err.Error()
			case s.out == "":
				s.out = out
			case s.out != out:
				s.failure = "printed or built something else than on its first run"
			}
			if s.failure != "" {
				fmt.Fprintf(cfg.stderr, "%s %s: FAIL: %s\n", s.label, wl.attr, s.failure)
				continue
			}
			timed := i >= cfg.warmup
			if timed {
				s.samples = append(s.samples, smp)
			}
			if !cfg.quiet {
				what := "warm-up"
				if timed {
					what = fmt.Sprintf("run %d/%d", i-cfg.warmup+1, cfg.runs)
				}
				fmt.Fprintf(cfg.stderr, "%-6s %-11s %-9s wall %7.3f s  cpu %7.3f s  rss %7.1f MiB\n",
					s.label, wl.attr, what, smp.wall.Seconds(), smp.cpu.Seconds(), float64(smp.rssKiB)/1024)
			}
		}
	}
	a, b := sides[0], sides[1]
	if a.failure == "" && b.failure == "" && a.out != b.out {
		a.failure = fmt.Sprintf("printed or built something else than %s", b.label)
	}
	fmt.Fprintf(w, "| command | median wall s | median cpu s | median peak RSS MiB | runs |\n|---|---:|---:|---:|---:|\n")
	for _, s := range sides {
		if len(s.samples) == 0 {
			fmt.Fprintf(w, "| %s | – | – | – | 0 |\n", s.label)
			continue
		}
		m := medians(s.samples)
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.1f | %d |\n", s.label, m.wall.Seconds(), m.cpu.Seconds(), float64(m.rssKiB)/1024, len(s.samples))
	}
	fmt.Fprintln(w)
	for _, s := range sides {
		if s.failure != "" {
			fmt.Fprintf(w, "verdict: FAIL: %s: %s\n", s.label, s.failure)
			return false, nil
		}
	}
	ma, mb := medians(a.samples), medians(b.samples)
	wall := ma.wall.Seconds() / mb.wall.Seconds()
	cpu := ma.cpu.Seconds() / mb.cpu.Seconds()
	verdict := "ok"
	if wall > wl.maxWall {
		verdict = fmt.Sprintf("slow (> %.2f)", wl.maxWall)
	}
	fmt.Fprintf(w, "ratio %s/%s: wall %.2f, cpu %.2f; same paths and contents; verdict: %s\n", a.label, b.label, wall, cpu, verdict)
	return verdict == "ok", nil
}

// once runs argv in cfg.dir and measures it.
func once(ctx context.Context, cfg *config, argv, env []string) (sample, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = cfg.dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return sample{}, nil, fmt.Errorf("%q: timed out after %v", argv, cfg.timeout)
	}
	if err != nil {
		return sample{}, nil, fmt.Errorf("%q: %w: %s", argv, err, firstLine(errb.String()))
	}
	smp := sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		smp.rssKiB = ru.Maxrss
	}
	return smp, out.Bytes(), nil
}

// storeDigest hashes every store object of the chroot store root that is
// not a .drv (names, file types, executable bits, link targets, bytes), so
// that two runs that registered the same outputs with the same contents
// digest alike. It also requires every printed path to be among them.
func storeDigest(root string, printed []byte) (string, error) {
	real := filepath.Join(root, "nix", "store")
	ents, err := os.ReadDir(real)
	if err != nil {
		return "", err
	}
	have := map[string]bool{}
	h := sha256.New()
	var names []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".drv") || strings.HasSuffix(n, ".lock") || strings.HasPrefix(n, ".") {
			continue
		}
		names = append(names, n)
		have["/nix/store/"+n] = true
	}
	sort.Strings(names)
	for _, n := range names {
		err := filepath.WalkDir(filepath.Join(real, n), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(real, p)
			fi, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				t, err := os.Readlink(p)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "L %s %s\n", rel, t)
			case fi.IsDir():
				fmt.Fprintf(h, "D %s\n", rel)
			default:
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "F %s %v %d\n", rel, fi.Mode()&0o111 != 0, len(data))
				h.Write(data)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	for _, l := range strings.Fields(string(printed)) {
		if !have[l] {
			return "", fmt.Errorf("printed %s, which is not in the store", l)
		}
	}
	return fmt.Sprintf("%d objects, digest %s\n", len(names), hex.EncodeToString(h.Sum(nil))), nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "error:") {
			return l
		}
	}
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// benchEnv is the caller's environment without what would make the two
// commands read user configuration or a search path.
func benchEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "NIX_PATH", "NIX_REMOTE", "NIX_STORE_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// medians takes the median of each measure separately.
func medians(ss []sample) sample {
	pick := func(f func(sample) float64) float64 {
		xs := make([]float64, len(ss))
		for i, s := range ss {
			xs[i] = f(s)
		}
		return median(xs)
	}
	return sample{
		wall:   time.Duration(pick(func(s sample) float64 { return float64(s.wall) })),
		cpu:    time.Duration(pick(func(s sample) float64 { return float64(s.cpu) })),
		rssKiB: int64(pick(func(s sample) float64 { return float64(s.rssKiB) })),
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// removeAll deletes a store directory, whose paths the builds made
// read-only.
func removeAll(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}
