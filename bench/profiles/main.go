// Command profiles times gonix against Nix 2.8 on two store-management
// workloads, alternating runs, each on a freshly prepared state:
//
//   - "generations": in a private mount namespace whose /nix is a bind of a
//     fresh directory (ORACLE.md: profiles do not work in a chroot store),
//     200 successive `nix-env -p P --set PATH` generations, then
//     `nix-env -p P --list-generations` and `nix-env -p P --rollback`. The
//     200 store paths are added beforehand (untimed) by the same tool.
//   - "gc": `nix-store --store S --gc` of a chroot store holding about
//     2,000 dead paths (`nix-store --add` of small files). Nix 2.8 prepares
//     the store once; every run collects a fresh copy of it, so both tools
//     collect identical stores.
//
// It prints a Markdown table per workload with the wall ratio gonix/nix.
//
//	go run ./bench/profiles -gonix /tmp/gonix -n 5
//
// Exit 0 when both tools succeed and each wall ratio is at most its limit,
// 1 otherwise, 2 on bad usage. It needs root (unshare, mount).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonix/bench/internal/timing"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	gonix        string
	runs, warmup int
	gens, paths  int
	maxGen       float64
	maxGC        float64
	only         string
	quiet        bool
	timeout      time.Duration
	dir          string
	env          []string
	stderr       io.Writer
}

// tool says how one side runs a classic Nix command.
type tool struct {
	label  string
	prefix []string // argv before the command name ("gonix") or none
}

func (t tool) argv(cmd string, args ...string) []string {
	return append(append(append([]string(nil), t.prefix...), cmd), args...)
}

// shell quotes argv for sh -c.
func shell(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("profiles", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfg := config{stderr: stderr}
	fl.StringVar(&cfg.gonix, "gonix", "gonix", "the gonix binary")
	fl.IntVar(&cfg.runs, "n", 5, "timed runs of each tool per workload")
	fl.IntVar(&cfg.warmup, "warmup", 1, "untimed runs of each tool first")
	fl.IntVar(&cfg.gens, "generations", 200, "generations in the generations workload")
	fl.IntVar(&cfg.paths, "paths", 2000, "dead paths in the gc workload")
	fl.Float64Var(&cfg.maxGen, "max-generations", 0.5, "largest acceptable wall ratio gonix/nix for generations")
	fl.Float64Var(&cfg.maxGC, "max-gc", 0.5, "largest acceptable wall ratio gonix/nix for gc")
	fl.StringVar(&cfg.only, "only", "", "run only this workload (generations or gc)")
	fl.BoolVar(&cfg.quiet, "q", false, "no per-run progress lines")
	fl.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "limit for one run")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintln(stderr, "profiles: no arguments expected")
		return 2
	}
	dir, err := os.MkdirTemp("", "gonix-bench-profiles")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer timing.RemoveAll(dir)
	cfg.dir = dir
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	if err := os.WriteFile(filepath.Join(conf, "nix.conf"), []byte("sandbox = false\nsubstituters =\n"), 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg.env = append(timing.Env(filepath.Join(dir, "home")), "NIX_CONF_DIR="+conf)
	os.MkdirAll(filepath.Join(dir, "home"), 0o755)

	tools := []tool{{label: "gonix", prefix: []string{cfg.gonix}}, {label: "nix"}}
	ok := true
	if cfg.only == "" || cfg.only == "generations" {
		good, err := generations(ctx, &cfg, tools, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "profiles: generations:", err)
			return 1
		}
		ok = ok && good
	}
	if cfg.only == "" || cfg.only == "gc" {
		good, err := gc(ctx, &cfg, tools, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "profiles: gc:", err)
			return 1
		}
		ok = ok && good
	}
	if !ok {
		return 1
	}
	return 0
}

// inNamespace is argv running script in a private mount namespace whose
// /nix is root.
func inNamespace(root, script string) []string {
	return []string{"unshare", "-m", "sh", "-ec", "mount --make-rprivate / && mount --bind " + shell([]string{root}) + " /nix && " + script}
}

func writeFiles(dir string, n int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for i := 0; i < n; i++ {
		f := filepath.Join(dir, "f"+strconv.Itoa(i))
		if err := os.WriteFile(f, []byte("file "+strconv.Itoa(i)+"\n"), 0o644); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func generations(ctx context.Context, cfg *config, tools []tool, w io.Writer) (bool, error) {
	files, err := writeFiles(filepath.Join(cfg.dir, "gen-src"), cfg.gens)
	if err != nil {
		return false, err
	}
	sides := make([]*timing.Side, len(tools))
	byLabel := map[string]tool{}
	for i, t := range tools {
		sides[i] = &timing.Side{Label: t.label}
		byLabel[t.label] = t
	}
	race := &timing.Race{Runs: cfg.runs, Warmup: cfg.warmup, Workload: "generations", Printed: "printed", Quiet: cfg.quiet, Stderr: cfg.stderr}
	race.Run(ctx, sides, func(ctx context.Context, s *timing.Side, n int) (timing.Sample, []byte, error) {
		t := byLabel[s.Label]
		root := filepath.Join(cfg.dir, "gen-"+strconv.Itoa(n))
		defer timing.RemoveAll(root)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return timing.Sample{}, nil, err
		}
		pathsFile := filepath.Join(cfg.dir, "paths-"+strconv.Itoa(n))
		defer os.Remove(pathsFile)
		setup := shell(t.argv("nix-store", append([]string{"--add"}, files...)...)) + " > " + shell([]string{pathsFile})
		if _, _, err := timing.Measure(ctx, cfg.dir, cfg.timeout, inNamespace(root, setup), cfg.env); err != nil {
			return timing.Sample{}, nil, fmt.Errorf("setup: %w", err)
		}
		const p = "/nix/var/nix/profiles/bench"
		script := "for p in $(cat " + shell([]string{pathsFile}) + "); do " + shell(t.argv("nix-env", "-p", p, "--set")) + " \"$p\"; done; " +
			shell(t.argv("nix-env", "-p", p, "--list-generations")) + " | wc -l; " +
			shell(t.argv("nix-env", "-p", p, "--rollback")) + " 2>&1; readlink " + p
		return timing.Measure(ctx, cfg.dir, cfg.timeout, inNamespace(root, script), cfg.env)
	})
	fmt.Fprintf(w, "### %d generations, --list-generations, --rollback\n\n", cfg.gens)
	ok := report(w, sides, cfg.maxGen)
	fmt.Fprintln(w)
	return ok, nil
}

func gc(ctx context.Context, cfg *config, tools []tool, w io.Writer) (bool, error) {
	files, err := writeFiles(filepath.Join(cfg.dir, "gc-src"), cfg.paths)
	if err != nil {
		return false, err
	}
	template := filepath.Join(cfg.dir, "gc-template")
	argv := append([]string{"nix-store", "--store", template, "--option", "substituters", "", "--add"}, files...)
	if _, _, err := timing.Measure(ctx, cfg.dir, cfg.timeout, argv, cfg.env); err != nil {
		return false, fmt.Errorf("preparing the store with Nix 2.8: %w", err)
	}
	sides := make([]*timing.Side, len(tools))
	byLabel := map[string]tool{}
	for i, t := range tools {
		sides[i] = &timing.Side{Label: t.label}
		byLabel[t.label] = t
	}
	race := &timing.Race{Runs: cfg.runs, Warmup: cfg.warmup, Workload: "gc", Printed: "printed", Quiet: cfg.quiet, Stderr: cfg.stderr}
	race.Run(ctx, sides, func(ctx context.Context, s *timing.Side, n int) (timing.Sample, []byte, error) {
		t := byLabel[s.Label]
		root := filepath.Join(cfg.dir, "gc-"+strconv.Itoa(n))
		defer timing.RemoveAll(root)
		if out, err := exec.CommandContext(ctx, "cp", "-a", template, root).CombinedOutput(); err != nil {
			return timing.Sample{}, nil, fmt.Errorf("copying the store: %v: %s", err, out)
		}
		smp, out, err := timing.Measure(ctx, cfg.dir, cfg.timeout, t.argv("nix-store", "--store", root, "--option", "substituters", "", "--gc"), cfg.env)
		if err != nil {
			return smp, out, err
		}
		left, err := os.ReadDir(filepath.Join(root, "nix/store"))
		if err != nil {
			return smp, out, err
		}
		// What must be gone is gone: only .links may remain.
		if len(left) > 1 {
			return smp, out, fmt.Errorf("%d entries left in the store after the collection", len(left))
		}
		return smp, out, nil
	})
	fmt.Fprintf(w, "### nix-store --gc of %d dead paths\n\n", cfg.paths)
	ok := report(w, sides, cfg.maxGC)
	fmt.Fprintln(w)
	return ok, nil
}

// report prints the table, failing a race whose two sides printed
// different things (the same generations and rollback, the same number of
// paths deleted).
func report(w io.Writer, sides []*timing.Side, maxWall float64) bool {
	a, b := sides[0], sides[1]
	if a.Failure == "" && b.Failure == "" && string(a.Out) != string(b.Out) {
		a.Failure = fmt.Sprintf("printed %q, %s printed %q", a.Out, b.Label, b.Out)
	}
	return timing.Report(w, a, b, maxWall, "same output; ")
}
