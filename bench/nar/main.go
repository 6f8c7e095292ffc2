// Command nar measures NAR hashing (nar.HashPath: NAR dump + SHA-256) of a
// tree against the single-core SHA-256 throughput of the same machine, in the
// same run, and against real Nix 2.8's nix-hash when it is installed.
//
//	go run ./bench/nar -mktree DIR [-size 1GiB]   # write a test tree
//	go run ./bench/nar -tree DIR [-n 7]           # measure
//
// See bench/nar/README.md.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"gonix/internal/format/nar"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	mktree   string
	size     int64
	tree     string
	n        int
	nixHash  string
	minRatio float64
}

func run(argv []string, stdout, stderr io.Writer) int {
	var o options
	fl := flag.NewFlagSet("nar", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&o.mktree, "mktree", "", "write a test tree into this (new) directory and exit")
	size := fl.String("size", "1GiB", "with -mktree: total bytes of file contents (suffixes KiB, MiB, GiB)")
	fl.StringVar(&o.tree, "tree", "", "measure hashing this tree")
	fl.IntVar(&o.n, "n", 7, "timed repetitions of each measurement")
	fl.StringVar(&o.nixHash, "nix-hash", "nix-hash", "real Nix's nix-hash to compare with (\"\" to skip)")
	fl.Float64Var(&o.minRatio, "min-ratio", 0.90, "exit 1 when HashPath's throughput is below this fraction of raw SHA-256")
	if err := fl.Parse(argv); err != nil {
		return 2
	}
	var err error
	if o.size, err = parseSize(*size); err != nil {
		fmt.Fprintf(stderr, "nar: -size: %v\n", err)
		return 2
	}
	switch {
	case o.mktree != "":
		err = makeTree(o.mktree, o.size, stderr)
	case o.tree != "" && o.n > 0:
		var ok bool
		ok, err = measure(o, stdout, stderr)
		if err == nil && !ok {
			return 1
		}
	default:
		fmt.Fprintln(stderr, "usage: nar -mktree DIR [-size N] | nar -tree DIR [-n N] [-nix-hash PROG] [-min-ratio R]")
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "nar: %v\n", err)
		return 1
	}
	return 0
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.m
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// warm reads every file of the tree once, so that every timed run finds it
// in the page cache.
func warm(tree string) (files int, bytes int64, err error) {
	buf := make([]byte, 1<<20)
	err = filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.CopyBuffer(io.Discard, f, buf)
		files++
		bytes += n
		return err
	})
	return files, bytes, err
}

// rawSHA256 hashes size bytes from an in-memory buffer, over and over, on
// the calling goroutine: one core. With a 1 MiB buffer (cache-resident)
// this is the compute ceiling, the figure the acceptance ratio uses; with a
// 64 MiB one the data streams from memory through 4 KiB pages, which on
// some machines (virtual ones: nested page walks) is much slower, and is
// printed for comparison only.
func rawSHA256(buf []byte, size int64) time.Duration {
	start := time.Now()
	h := sha256.New()
	for left := size; left > 0; {
		k := min(left, int64(len(buf)))
		h.Write(buf[:k])
		left -= k
	}
	h.Sum(nil)
	return time.Since(start)
}

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mbps(size int64, d time.Duration) float64 {
	return float64(size) / 1e6 / d.Seconds()
}

func measure(o options, stdout, stderr io.Writer) (ok bool, err error) {
	files, contents, err := warm(o.tree)
	if err != nil {
		return false, fmt.Errorf("warming the page cache: %w", err)
	}
	sum, narSize, err := nar.HashPath(o.tree, nil) // warm-up, and the reference result
	if err != nil {
		return false, err
	}
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(i*131 + i>>11)
	}
	buf := big[:1<<20]
	rawSHA256(buf, narSize) // warm-up

	nixHash := ""
	if o.nixHash != "" {
		if p, err := exec.LookPath(o.nixHash); err == nil {
			nixHash = p
		} else {
			fmt.Fprintf(stderr, "nar: %s not found, skipping the comparison with Nix\n", o.nixHash)
		}
	}
	runNix := func() (time.Duration, error) {
		var out bytes.Buffer
		cmd := exec.Command(nixHash, "--type", "sha256", o.tree)
		cmd.Stdout, cmd.Stderr = &out, stderr
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", nixHash, err)
		}
		if got, want := strings.TrimSpace(out.String()), hex.EncodeToString(sum); got != want {
			return 0, fmt.Errorf("nix-hash printed %s, HashPath computed %s", got, want)
		}
		return d, nil
	}
	if nixHash != "" {
		if _, err := runNix(); err != nil { // warm-up and correctness check
			return false, err
		}
	}

	var raw, stream, hp, nix, rawCPU, hpCPU []time.Duration
	for i := 0; i < o.n; i++ {
		c0 := cpuTime()
		raw = append(raw, rawSHA256(buf, narSize))
		rawCPU = append(rawCPU, cpuTime()-c0)
		stream = append(stream, rawSHA256(big, narSize))
		runtime.GC() // keep one measurement's garbage out of the next
		c0 = cpuTime()
		start := time.Now()
		s, n, err := nar.HashPath(o.tree, nil)
		hp = append(hp, time.Since(start))
		hpCPU = append(hpCPU, cpuTime()-c0)
		if err != nil {
			return false, err
		}
		if !bytes.Equal(s, sum) || n != narSize {
			return false, errors.New("HashPath gave a different result on a later run")
		}
		if nixHash != "" {
			d, err := runNix()
			if err != nil {
				return false, err
			}
			nix = append(nix, d)
		}
		fmt.Fprintf(stderr, "run %d: raw sha256 %v (cpu %v), from 64 MiB %v, HashPath %v (cpu %v)", i+1,
			raw[i].Round(time.Millisecond), rawCPU[i].Round(time.Millisecond), stream[i].Round(time.Millisecond),
			hp[i].Round(time.Millisecond), hpCPU[i].Round(time.Millisecond))
		if nixHash != "" {
			fmt.Fprintf(stderr, ", nix-hash %v", nix[i].Round(time.Millisecond))
		}
		fmt.Fprintln(stderr)
	}

	rawMed, hpMed := median(raw), median(hp)
	ratio := rawMed.Seconds() / hpMed.Seconds()
	ok = ratio >= o.minRatio
	verdict := "ok"
	if !ok {
		verdict = fmt.Sprintf("FAIL (below %.2f)", o.minRatio)
	}
	fmt.Fprintf(stdout, "date=%s nproc=%d cpu=%q go=%s files=%d contents=%d nar=%d n=%d\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpuModel(), runtime.Version(), files, contents, narSize, o.n)
	fmt.Fprintf(stdout, "raw_sha256=%.0fMB/s hashpath=%.0fMB/s ratio=%.3f %s\n",
		mbps(narSize, rawMed), mbps(narSize, hpMed), ratio, verdict)
	// Best runs and CPU time are less sensitive to other load on the
	// machine; they are printed for judging noise, the verdict uses the
	// medians of wall time.
	fmt.Fprintf(stdout, "best: raw_sha256=%.0fMB/s hashpath=%.0fMB/s ratio=%.3f; cpu: raw_sha256=%v hashpath=%v cpu_ratio=%.3f\n",
		mbps(narSize, slices.Min(raw)), mbps(narSize, slices.Min(hp)), slices.Min(raw).Seconds()/slices.Min(hp).Seconds(),
		median(rawCPU).Round(time.Millisecond), median(hpCPU).Round(time.Millisecond), median(rawCPU).Seconds()/median(hpCPU).Seconds())
	fmt.Fprintf(stdout, "raw_sha256_from_64MiB_buffer=%.0fMB/s ratio_to_it=%.3f\n",
		mbps(narSize, median(stream)), median(stream).Seconds()/hpMed.Seconds())
	if nixHash != "" {
		nixMed := median(nix)
		fmt.Fprintf(stdout, "nix_hash=%.0fMB/s (median %v, whole process) gonix_speedup_over_nix=%.2f\n",
			mbps(narSize, nixMed), nixMed.Round(time.Millisecond), nixMed.Seconds()/hpMed.Seconds())
	}
	return ok, nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
