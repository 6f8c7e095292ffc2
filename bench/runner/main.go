package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: runner [flags] FILE.nix...

Times "CMD ARGS --eval --strict FILE" for two commands A and B, alternating
A,B,A,B after warm-up runs, and prints a Markdown table of median wall time,
median peak RSS and the ratios A/B. Exits 1 if any workload fails or misses
the limits, 2 on bad usage.

flags:
`

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var (
		a       = fs.String("a", "gonix nix-instantiate", "command A (the candidate), split into words like a shell")
		b       = fs.String("b", "nix-instantiate", "command B (the reference)")
		aLabel  = fs.String("alabel", "gonix", "name of A in the table")
		bLabel  = fs.String("blabel", "nix", "name of B in the table")
		extra   = fs.String("args", "--readonly-mode --option substituters ''", "arguments passed to both commands before --eval --strict FILE")
		runs    = fs.Int("n", 7, "timed runs of each command per workload")
		warmup  = fs.Int("warmup", 1, "untimed warm-up runs of each command per workload")
		timeout = fs.Duration("timeout", 10*time.Minute, "limit for a single run")
		maxWall = fs.Float64("max-wall", 1.0, "largest acceptable wall-time ratio A/B")
		maxRSS  = fs.Float64("max-rss", 1.5, "largest acceptable peak-RSS ratio A/B")
		quiet   = fs.Bool("q", false, "do not log each run on stderr")
		cpu     = fs.Bool("cpu", false, "add median CPU time (user + system) columns; they do not affect the verdict")
	)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "runner: "+format+"\n", args...)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if *runs < 1 || *warmup < 0 {
		return fail("-n must be at least 1 and -warmup at least 0")
	}
	cfg := &Config{Runs: *runs, Warmup: *warmup, Timeout: *timeout}
	var err error
	if cfg.A, err = splitArgs(*a); err != nil || len(cfg.A) == 0 {
		return fail("-a: need a command: %v", err)
	}
	if cfg.B, err = splitArgs(*b); err != nil || len(cfg.B) == 0 {
		return fail("-b: need a command: %v", err)
	}
	if cfg.Args, err = splitArgs(*extra); err != nil {
		return fail("-args: %v", err)
	}
	var files []string
	for _, f := range fs.Args() {
		abs, err := filepath.Abs(f)
		if err != nil {
			return fail("workload %s: %v", f, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return fail("workload %s: %v", f, err)
		}
		files = append(files, abs)
	}
	home, err := os.MkdirTemp("", "bench-home-")
	if err != nil {
		return fail("temporary HOME: %v", err)
	}
	defer os.RemoveAll(home)
	cfg.Env = benchEnv(os.Environ(), home)
	if !*quiet {
		cfg.Log = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	}

	limits := Limits{Wall: *maxWall, RSS: *maxRSS}
	var rows []Row
	code := 0
	for _, f := range files {
		row := measure(ctx, cfg, f)
		if !row.OK(limits) {
			code = 1
		}
		if row.Err != nil {
			fmt.Fprintf(stderr, "runner: %s: %v\n", row.Workload, row.Err)
		}
		rows = append(rows, row)
	}
	if err := writeTable(stdout, *aLabel, *bLabel, rows, limits, *cpu); err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return 1
	}
	return code
}

// benchEnv is the environment of every run: the caller's, with HOME pointing
// at an empty directory, no NIX_PATH (workloads use no search path), and no
// XDG base directories, so no user configuration or cache is read.
func benchEnv(environ []string, home string) []string {
	drop := map[string]bool{
		"HOME": true, "NIX_PATH": true,
		"XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true, "XDG_DATA_HOME": true, "XDG_STATE_HOME": true,
	}
	var env []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home)
}
