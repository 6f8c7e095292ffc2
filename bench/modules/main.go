// Command modules times the module system: a generated configuration of 300
// modules declaring 3,000 options (see gen.go), evaluated to JSON by gonix
// with its own lib (<gonix/lib>) and by Nix 2.8 with nixpkgs' lib, side by
// side; it prints a Markdown table of median wall time, CPU time and peak
// RSS with the ratios A/B.
//
//	go run ./bench/modules -nixpkgs-lib /tmp/nixpkgs.lib -n 5
//	go run ./bench/modules -gen DIR        (only write the configuration)
//
// Each run is CMD [-I gonix=LIB] --readonly-mode --option substituters ""
// --eval --strict --json default.nix in the configuration's directory. It
// exits 0 when both commands succeed, print the same JSON on every run and
// A's medians are within -max-wall and -max-rss of B's; 1 otherwise; 2 on
// bad usage.
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
	a, b            []string
	aLabel, bLabel  string
	aLib, bLib      string
	dir             string
	runs, warmup    int
	timeout         time.Duration
	maxWall, maxRSS float64
	quiet           bool
	stderr          io.Writer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("modules", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: modules [flags]\n\nflags:")
		fl.PrintDefaults()
	}
	var (
		a       = fl.String("a", "gonix nix-instantiate", "command A (the candidate), split on blanks")
		b       = fl.String("b", "nix-instantiate", "command B (the reference), split on blanks")
		aLabel  = fl.String("alabel", "gonix", "name of A in the table")
		bLabel  = fl.String("blabel", "nix", "name of B in the table")
		aLib    = fl.String("gonix-lib", "", "directory given to A as -I gonix=DIR (default: none, gonix's embedded <gonix/lib>)")
		bLib    = fl.String("nixpkgs-lib", os.Getenv("NIXPKGS_LIB"), "nixpkgs.lib tree given to B as -I gonix=DIR (default $NIXPKGS_LIB)")
		dir     = fl.String("dir", "", "use the configuration in DIR instead of generating one")
		gen     = fl.String("gen", "", "only write the configuration into this directory and exit")
		runs    = fl.Int("n", 5, "timed runs of each command")
		warmup  = fl.Int("warmup", 1, "untimed runs of each command first")
		timeout = fl.Duration("timeout", 10*time.Minute, "limit for one run")
		maxWall = fl.Float64("max-wall", 0.5, "largest acceptable median wall-time ratio A/B")
		maxRSS  = fl.Float64("max-rss", 1.0, "largest acceptable median peak-RSS ratio A/B")
		quiet   = fl.Bool("q", false, "do not log each run on stderr")
	)
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fl.NArg() != 0 || *runs < 1 || *warmup < 0 {
		fl.Usage()
		return 2
	}
	if *gen != "" {
		if err := Generate(*gen); err != nil {
			fmt.Fprintln(stderr, "modules:", err)
			return 1
		}
		return 0
	}
	if *bLib == "" {
		fmt.Fprintln(stderr, "modules: no nixpkgs lib for B: set NIXPKGS_LIB or -nixpkgs-lib (an exported github:nix-community/nixpkgs.lib tree; see bench/modules/README.md)")
		return 2
	}
	cfg := &config{
		a: strings.Fields(*a), b: strings.Fields(*b), aLabel: *aLabel, bLabel: *bLabel,
		aLib: *aLib, bLib: *bLib, dir: *dir,
		runs: *runs, warmup: *warmup, timeout: *timeout,
		maxWall: *maxWall, maxRSS: *maxRSS, quiet: *quiet, stderr: stderr,
	}
	if len(cfg.a) == 0 || len(cfg.b) == 0 {
		fl.Usage()
		return 2
	}
	ok, err := bench(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "modules:", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func bench(ctx context.Context, cfg *config, w io.Writer) (bool, error) {
	tmp, err := os.MkdirTemp("", "gonix-bench-modules")
	if err != nil {
		return false, fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	dir := cfg.dir
	if dir == "" {
		dir = filepath.Join(tmp, "config")
		if err := Generate(dir); err != nil {
			return false, err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return false, fmt.Errorf("configuration directory: %w", err)
	}
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		return false, fmt.Errorf("home directory: %w", err)
	}
	env := timing.Env(home)
	argv := func(cmd []string, lib string) []string {
		v := append([]string{}, cmd...)
		if lib != "" {
			abs, err := filepath.Abs(lib)
			if err == nil {
				lib = abs
			}
			v = append(v, "-I", "gonix="+lib)
		}
		return append(v, "--readonly-mode", "--option", "substituters", "", "--eval", "--strict", "--json", "default.nix")
	}
	a := &timing.Side{Label: cfg.aLabel, Argv: argv(cfg.a, cfg.aLib)}
	b := &timing.Side{Label: cfg.bLabel, Argv: argv(cfg.b, cfg.bLib)}
	race := &timing.Race{Runs: cfg.runs, Warmup: cfg.warmup, Printed: "printed", Quiet: cfg.quiet, Stderr: cfg.stderr}
	race.Run(ctx, []*timing.Side{a, b}, func(ctx context.Context, s *timing.Side, n int) (timing.Sample, []byte, error) {
		return timing.Measure(ctx, dir, cfg.timeout, s.Argv, env)
	})
	if a.Failure == "" && b.Failure == "" && !bytes.Equal(a.Out, b.Out) {
		a.Failure = fmt.Sprintf("printed something else than %s (%d bytes against %d)", b.Label, len(a.Out), len(b.Out))
	}
	return report(w, a, b, cfg.maxWall, cfg.maxRSS), nil
}

// report writes the table of medians and the ratios A/B with the verdict;
// it reports whether both succeeded and A is within both limits.
func report(w io.Writer, a, b *timing.Side, maxWall, maxRSS float64) bool {
	fmt.Fprintf(w, "| command | median wall s | median cpu s | median peak RSS MiB | runs |\n|---|---:|---:|---:|---:|\n")
	for _, s := range []*timing.Side{a, b} {
		if len(s.Samples) == 0 {
			fmt.Fprintf(w, "| %s | – | – | – | 0 |\n", s.Label)
			continue
		}
		m := timing.Medians(s.Samples)
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.1f | %d |\n", s.Label, m.Wall.Seconds(), m.CPU.Seconds(), float64(m.RSSKiB)/1024, len(s.Samples))
	}
	fmt.Fprintln(w)
	for _, s := range []*timing.Side{a, b} {
		if s.Failure != "" {
			fmt.Fprintf(w, "verdict: FAIL: %s: %s\n", s.Label, s.Failure)
			return false
		}
	}
	ma, mb := timing.Medians(a.Samples), timing.Medians(b.Samples)
	wall := ma.Wall.Seconds() / mb.Wall.Seconds()
	cpu := ma.CPU.Seconds() / mb.CPU.Seconds()
	rss := float64(ma.RSSKiB) / float64(mb.RSSKiB)
	var bad []string
	if wall > maxWall {
		bad = append(bad, fmt.Sprintf("slow (wall > %.2f)", maxWall))
	}
	if rss > maxRSS {
		bad = append(bad, fmt.Sprintf("memory (RSS > %.2f)", maxRSS))
	}
	verdict := "ok"
	if len(bad) > 0 {
		verdict = strings.Join(bad, ", ")
	}
	fmt.Fprintf(w, "ratio %s/%s: wall %.2f, peak RSS %.2f, cpu %.2f; same JSON; verdict: %s\n", a.Label, b.Label, wall, rss, cpu, verdict)
	return len(bad) == 0
}
