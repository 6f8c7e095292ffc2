package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Config says how to invoke the two commands on a workload.
type Config struct {
	A, B    []string      // command words, e.g. ["gonix", "nix-instantiate"]
	Args    []string      // words inserted before --eval --strict FILE, for both
	Runs    int           // timed runs of each command
	Warmup  int           // untimed runs of each command before the timed ones
	Timeout time.Duration // limit for one run
	Env     []string      // environment of every run
	Log     func(format string, args ...any)
}

// sample is one run of one command.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user + system time of the child
	rssKiB int64
	stdout []byte
}

// argv is the full command line for one run: CMD ARGS --eval --strict FILE.
func (c *Config) argv(cmd []string, file string) []string {
	argv := append([]string{}, cmd...)
	argv = append(argv, c.Args...)
	return append(argv, "--eval", "--strict", file)
}

// runOnce runs argv, measuring wall time from start to exit and the peak
// resident set size the kernel reports for the child (and any children it
// waited for).
func runOnce(ctx context.Context, argv, env []string, timeout time.Duration) (sample, error) {
	if len(argv) == 0 {
		return sample{}, errors.New("run: empty command")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	// A killed command's own children could keep stdout open; do not wait
	// for them.
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ctx.Err() == context.DeadlineExceeded {
		return sample{}, fmt.Errorf("run %s: timed out after %v", argv[0], timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "(no stderr)"
		} else if n := 2000; len(msg) > n { // a long trace adds nothing here
			for n > 0 && !utf8.RuneStart(msg[n]) {
				n--
			}
			msg = msg[:n] + " …"
		}
		return sample{}, fmt.Errorf("run %s: %w: %s", argv[0], err, msg)
	}
	ps := cmd.ProcessState
	return sample{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), rssKiB: maxRSSKiB(ps), stdout: stdout.Bytes()}, nil
}

// maxRSSKiB reads ru_maxrss, which Linux reports in KiB and macOS in bytes.
func maxRSSKiB(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024
	}
	return int64(ru.Maxrss)
}

// measure runs the warm-up runs, then alternates A and B, Runs times each,
// and checks that every run exits 0, that A and B print the same, and that
// each prints the same on every run. The first failure ends the workload and
// is recorded in the row.
func measure(ctx context.Context, c *Config, file string) Row {
	row := Row{Workload: strings.TrimSuffix(filepath.Base(file), ".nix")}
	sides := []struct {
		label string
		argv  []string
		wall  *[]float64
		cpu   *[]float64
		rss   *[]float64
		first []byte
	}{
		{"A", c.argv(c.A, file), &row.AWall, &row.ACPU, &row.ARSS, nil},
		{"B", c.argv(c.B, file), &row.BWall, &row.BCPU, &row.BRSS, nil},
	}
	for i := 0; i < c.Warmup+c.Runs; i++ {
		for k := range sides {
			o := &sides[k]
			s, err := runOnce(ctx, o.argv, c.Env, c.Timeout)
			if err != nil {
				row.Err = fmt.Errorf("%s: %w", o.label, err)
				return row
			}
			if o.first == nil {
				o.first = s.stdout
			} else if !bytes.Equal(s.stdout, o.first) {
				row.Err = fmt.Errorf("%s: output changed between runs: %q, then %q", o.label, abbrev(o.first), abbrev(s.stdout))
				return row
			}
			if i < c.Warmup {
				continue
			}
			*o.wall = append(*o.wall, s.wall.Seconds())
			*o.cpu = append(*o.cpu, s.cpu.Seconds())
			*o.rss = append(*o.rss, float64(s.rssKiB))
			if c.Log != nil {
				c.Log("%s %s run %d/%d: %.3f s wall, %.3f s cpu, %.1f MiB", row.Workload, o.label, i-c.Warmup+1, c.Runs, s.wall.Seconds(), s.cpu.Seconds(), float64(s.rssKiB)/1024)
			}
		}
		if a, b := sides[0].first, sides[1].first; !bytes.Equal(a, b) {
			row.Err = fmt.Errorf("outputs differ: A printed %q, B printed %q", abbrev(a), abbrev(b))
			return row
		}
	}
	return row
}

// abbrev shortens an output for an error message.
func abbrev(b []byte) string {
	s := strings.TrimSpace(string(b))
	if n := 60; len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}
