package timing

import (
	"bytes"
	"context"
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

// Sample is one timed run.
type Sample struct {
	Wall, CPU time.Duration
	RSSKiB    int64
}

// Side is what one command did over all its runs.
type Side struct {
	Label   string
	Argv    []string
	Samples []Sample
	Out     []byte // output of the first run; every later run must match
	Failure string // why the command is out of the race ("" while it is in)
}

// Race says how to alternate the sides' runs and what to log.
type Race struct {
	Runs, Warmup int
	// Workload, when not "", follows the label in the progress lines.
	Workload string
	// Printed names what a run's output stands for in the failure when a
	// later run's differs ("printed", "printed or built").
	Printed string
	Quiet   bool
	Stderr  io.Writer
}

// Run runs every side Warmup+Runs times, alternating between the sides so
// that a slow spell of the machine falls on both. once does the n-th run
// (n counts from 1 over all sides, so each run can have a fresh store) and
// returns its measure and output. A side that fails or prints something
// else than on its first run drops out of the race.
func (r *Race) Run(ctx context.Context, sides []*Side, once func(ctx context.Context, s *Side, n int) (Sample, []byte, error)) {
	n := 0
	for i := 0; i < r.Warmup+r.Runs; i++ {
		for _, s := range sides {
			if s.Failure != "" {
				continue
			}
			n++
			smp, out, err := once(ctx, s, n)
			switch {
			case err != nil:
				s.Failure = err.Error()
			case s.Out == nil:
				s.Out = out
			case !bytes.Equal(s.Out, out):
				s.Failure = r.Printed + " something else than on its first run"
			}
			if s.Failure != "" {
				fmt.Fprintf(r.Stderr, "%s%s: FAIL: %s\n", s.Label, r.workload(" %s"), s.Failure)
				continue
			}
			timed := i >= r.Warmup
			if timed {
				s.Samples = append(s.Samples, smp)
			}
			if !r.Quiet {
				what := "warm-up"
				if timed {
					what = fmt.Sprintf("run %d/%d", i-r.Warmup+1, r.Runs)
				}
				fmt.Fprintf(r.Stderr, "%-6s%s %-9s wall %7.3f s  cpu %7.3f s  rss %7.1f MiB\n",
					s.Label, r.workload(" %-11s"), what, smp.Wall.Seconds(), smp.CPU.Seconds(), float64(smp.RSSKiB)/1024)
			}
		}
	}
}

func (r *Race) workload(format string) string {
	if r.Workload == "" {
		return ""
	}
	return fmt.Sprintf(format, r.Workload)
}

// Report writes the table of medians for a and b and then either the first
// failure or the ratio A/B with its verdict, where agreed (say "same paths
// and contents; ") stands before the verdict. It reports whether both
// succeeded and A's median wall time is at most maxWall times B's.
func Report(w io.Writer, a, b *Side, maxWall float64, agreed string) bool {
	sides := []*Side{a, b}
	fmt.Fprintf(w, "| command | median wall s | median cpu s | median peak RSS MiB | runs |\n|---|---:|---:|---:|---:|\n")
	for _, s := range sides {
		if len(s.Samples) == 0 {
			fmt.Fprintf(w, "| %s | – | – | – | 0 |\n", s.Label)
			continue
		}
		m := Medians(s.Samples)
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.1f | %d |\n", s.Label, m.Wall.Seconds(), m.CPU.Seconds(), float64(m.RSSKiB)/1024, len(s.Samples))
	}
	fmt.Fprintln(w)
	for _, s := range sides {
		if s.Failure != "" {
			fmt.Fprintf(w, "verdict: FAIL: %s: %s\n", s.Label, s.Failure)
			return false
		}
	}
	ma, mb := Medians(a.Samples), Medians(b.Samples)
	wall := ma.Wall.Seconds() / mb.Wall.Seconds()
	cpu := ma.CPU.Seconds() / mb.CPU.Seconds()
	verdict := "ok"
	if wall > maxWall {
		verdict = fmt.Sprintf("slow (> %.2f)", maxWall)
	}
	fmt.Fprintf(w, "ratio %s/%s: wall %.2f, cpu %.2f; %sverdict: %s\n", a.Label, b.Label, wall, cpu, agreed, verdict)
	return verdict == "ok"
}

// Measure runs argv in dir with env and measures it: wall time, user plus
// system CPU time and peak RSS. It returns the command's stdout; an error
// carries the first error line of its stderr.
func Measure(ctx context.Context, dir string, timeout time.Duration, argv, env []string) (Sample, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return Sample{}, nil, fmt.Errorf("%q: timed out after %v", argv, timeout)
	}
	if err != nil {
		return Sample{}, nil, fmt.Errorf("%q: %w: %s", argv, err, firstLine(errb.String()))
	}
	smp := Sample{Wall: wall, CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		smp.RSSKiB = ru.Maxrss
	}
	return smp, out.Bytes(), nil
}

// firstLine is the first "error:" line of s, else its first line.
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

// Env is the caller's environment without what would make the two
// commands read user configuration or a search path, and with HOME=home.
func Env(home string) []string {
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

// Medians takes the median of each measure separately.
func Medians(ss []Sample) Sample {
	pick := func(f func(Sample) float64) float64 {
		xs := make([]float64, len(ss))
		for i, s := range ss {
			xs[i] = f(s)
		}
		return Median(xs)
	}
	return Sample{
		Wall:   time.Duration(pick(func(s Sample) float64 { return float64(s.Wall) })),
		CPU:    time.Duration(pick(func(s Sample) float64 { return float64(s.CPU) })),
		RSSKiB: int64(pick(func(s Sample) float64 { return float64(s.RSSKiB) })),
	}
}

// Median is the median of xs (0 for none); it sorts xs.
func Median(xs []float64) float64 {
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

// RemoveAll deletes a directory that holds a store, whose paths the
// commands made read-only.
func RemoveAll(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}
