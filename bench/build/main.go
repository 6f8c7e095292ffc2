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
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gonix/bench/internal/timing"
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
	defer timing.RemoveAll(tmp)
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

func bench(ctx context.Context, cfg *config, wl workload, w io.Writer) (bool, error) {
	home := filepath.Join(cfg.dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return false, err
	}
	env := timing.Env(home)
	a, b := &timing.Side{Label: cfg.aLabel, Argv: cfg.a}, &timing.Side{Label: cfg.bLabel, Argv: cfg.b}
	race := &timing.Race{Runs: cfg.runs, Warmup: cfg.warmup, Workload: wl.attr, Printed: "printed or built", Quiet: cfg.quiet, Stderr: cfg.stderr}
	race.Run(ctx, []*timing.Side{a, b}, func(ctx context.Context, s *timing.Side, n int) (timing.Sample, []byte, error) {
		store := filepath.Join(cfg.dir, fmt.Sprintf("store-%s-%d", wl.attr, n))
		defer timing.RemoveAll(store)
		argv := append(append([]string{}, s.Argv...), "--store", store)
		argv = append(append(argv, cfg.common...), "-A", wl.attr)
		smp, printed, err := timing.Measure(ctx, cfg.dir, cfg.timeout, argv, env)
		if err != nil {
			return smp, nil, err
		}
		digest, err := storeDigest(store, printed)
		if err != nil {
			return smp, nil, err
		}
		return smp, []byte(string(printed) + digest), nil
	})
	if a.Failure == "" && b.Failure == "" && !bytes.Equal(a.Out, b.Out) {
		a.Failure = fmt.Sprintf("printed or built something else than %s", b.Label)
	}
	return timing.Report(w, a, b, wl.maxWall, "same paths and contents; "), nil
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
