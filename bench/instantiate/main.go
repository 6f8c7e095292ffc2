// Command instantiate times two nix-instantiate commands side by side on
// one package set: each run is CMD --store FRESH --option substituters ""
// default.nix (the empty string as a separate argument) into a new empty
// chroot store, and prints a Markdown table of median
// wall time, CPU time and peak RSS with the ratio A/B.
//
//	go run ./bench/instantiate -a 'gonix nix-instantiate' -b nix-instantiate -n 5 DIR
//
// DIR holds the package set (see tests/diffstore/cmd/gen). It exits 0 when
// both commands succeed, print the same on every run and A's median wall
// time is at most -max-wall times B's; 1 otherwise; 2 on bad usage.
package main

import (
	"bytes"
	"context"
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

type config struct {
	a, b           []string
	aLabel, bLabel string
	args           []string
	dir            string
	runs, warmup   int
	timeout        time.Duration
	maxWall        float64
	quiet          bool
	stderr         io.Writer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("instantiate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: instantiate [flags] DIR\n\nflags:")
		fl.PrintDefaults()
	}
	var (
		a       = fl.String("a", "gonix nix-instantiate", "command A (the candidate), split on blanks")
		b       = fl.String("b", "nix-instantiate", "command B (the reference), split on blanks")
		aLabel  = fl.String("alabel", "gonix", "name of A in the table")
		bLabel  = fl.String("blabel", "nix", "name of B in the table")
		file    = fl.String("file", "default.nix", "the expression file in DIR given to both commands")
		runs    = fl.Int("n", 5, "timed runs of each command")
		warmup  = fl.Int("warmup", 1, "untimed runs of each command first")
		timeout = fl.Duration("timeout", 10*time.Minute, "limit for one run")
		maxWall = fl.Float64("max-wall", 0.7, "largest acceptable wall-time ratio A/B")
		quiet   = fl.Bool("q", false, "do not log each run on stderr")
	)
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fl.NArg() != 1 || *runs < 1 || *warmup < 0 {
		fl.Usage()
		return 2
	}
	dir, err := filepath.Abs(fl.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "instantiate:", err)
		return 2
	}
	cfg := &config{
		a: strings.Fields(*a), b: strings.Fields(*b), aLabel: *aLabel, bLabel: *bLabel,
		args:    []string{"--option", "substituters", "", *file},
		dir:     dir,
		runs:    *runs,
		warmup:  *warmup,
		timeout: *timeout,
		maxWall: *maxWall,
		quiet:   *quiet,
		stderr:  stderr,
	}
	if len(cfg.a) == 0 || len(cfg.b) == 0 {
		fl.Usage()
		return 2
	}
	ok, err := bench(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "instantiate:", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

// sample is one timed run.
type sample struct {
	wall, cpu time.Duration
	rssKiB    int64
}

// side is what one command did over all its runs.
type side struct {
	label   string
	argv    []string
	samples []sample
	out     []byte // stdout of the first run; every later run must match
	failure string // why the command is out of the race ("" while it is in)
}

func bench(ctx context.Context, cfg *config, w io.Writer) (bool, error) {
	tmp, err := os.MkdirTemp("", "gonix-bench-instantiate")
	if err != nil {
		return false, err
	}
	defer removeAll(tmp)
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
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
			store := filepath.Join(tmp, fmt.Sprintf("store-%d", n))
			argv := append(append(append([]string{}, s.argv...), "--store", store), cfg.args...)
			smp, out, err := once(ctx, cfg, argv, env)
			removeAll(store)
			switch {
			case err != nil:
				s.failure = err.Error()
			case s.out == nil:
				s.out = out
			case !bytes.Equal(s.out, out):
				s.failure = "printed something else than on its first run"
			}
			if s.failure != "" {
				fmt.Fprintf(cfg.stderr, "%s: FAIL: %s\n", s.label, s.failure)
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
				fmt.Fprintf(cfg.stderr, "%-6s %-9s wall %7.3f s  cpu %7.3f s  rss %7.1f MiB\n",
					s.label, what, smp.wall.Seconds(), smp.cpu.Seconds(), float64(smp.rssKiB)/1024)
			}
		}
	}
	a, b := sides[0], sides[1]
	if a.failure == "" && b.failure == "" && !bytes.Equal(a.out, b.out) {
		a.failure = fmt.Sprintf("printed something else than %s (%d bytes against %d)", b.label, len(a.out), len(b.out))
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
	if wall > cfg.maxWall {
		verdict = fmt.Sprintf("slow (> %.2f)", cfg.maxWall)
	}
	fmt.Fprintf(w, "ratio %s/%s: wall %.2f, cpu %.2f; verdict: %s\n", a.label, b.label, wall, cpu, verdict)
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

// removeAll deletes a store directory, whose paths Nix made read-only.
func removeAll(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}
