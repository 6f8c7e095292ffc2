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
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonix/bench/internal/timing"
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

func bench(ctx context.Context, cfg *config, w io.Writer) (bool, error) {
	tmp, err := os.MkdirTemp("", "gonix-bench-instantiate")
	if err != nil {
		return false, err
	}
	defer timing.RemoveAll(tmp)
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		return false, err
	}
	env := timing.Env(home)
	a, b := &timing.Side{Label: cfg.aLabel, Argv: cfg.a}, &timing.Side{Label: cfg.bLabel, Argv: cfg.b}
	race := &timing.Race{Runs: cfg.runs, Warmup: cfg.warmup, Printed: "printed", Quiet: cfg.quiet, Stderr: cfg.stderr}
	race.Run(ctx, []*timing.Side{a, b}, func(ctx context.Context, s *timing.Side, n int) (timing.Sample, []byte, error) {
		store := filepath.Join(tmp, fmt.Sprintf("store-%d", n))
		defer timing.RemoveAll(store)
		argv := append(append(append([]string{}, s.Argv...), "--store", store), cfg.args...)
		return timing.Measure(ctx, cfg.dir, cfg.timeout, argv, env)
	})
	if a.Failure == "" && b.Failure == "" && !bytes.Equal(a.Out, b.Out) {
		a.Failure = fmt.Sprintf("printed something else than %s (%d bytes against %d)", b.Label, len(a.Out), len(b.Out))
	}
	return timing.Report(w, a, b, cfg.maxWall, ""), nil
}
