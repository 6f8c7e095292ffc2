// Command subst times substituting a large closure from a loopback HTTP
// binary cache into a fresh chroot store: gonix against Nix 2.8.
//
// Setup (untimed): an export stream of -paths input-addressed paths
// totalling about -size bytes, shaped by -shape so that one path's closure
// is all of them, is
// imported into a source store by Nix 2.8, which then writes a signed
// binary cache with `nix copy --to file://C?compression=zstd`. The cache is
// served by a static HTTP server in this process on 127.0.0.1.
//
// Timed: `nix-store --store FRESH -r TOP --option substituters
// http://127.0.0.1:PORT --option trusted-public-keys KEY` by each tool,
// alternating, each run into a new empty store (deleted afterwards, not
// timed). Both must print the same path.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gonix/bench/internal/timing"
	"gonix/internal/format/export"
	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("subst", flag.ContinueOnError)
	fl.SetOutput(stderr)
	gonix := fl.String("gonix", "gonix", "the gonix binary")
	old := fl.String("a", "", "an older gonix binary to race as well (A/B: its runs alternate with the others')")
	runs := fl.Int("n", 3, "timed runs of each tool")
	warmup := fl.Int("warmup", 0, "untimed runs of each tool first")
	paths := fl.Int("paths", 1000, "paths in the closure")
	size := fl.Int64("size", 1<<30, "total NAR bytes of the closure (about)")
	comp := fl.String("compression", "zstd", "the cache's compression (xz, zstd, none, ...)")
	shape := fl.String("shape", "tree", "the closure's shape: tree (binary tree, depth log2 paths) or chain (each path needs the one before)")
	maxRatio := fl.Float64("max", 0.5, "largest acceptable wall ratio gonix/nix")
	quiet := fl.Bool("q", false, "no per-run progress lines")
	timeout := fl.Duration("timeout", 30*time.Minute, "limit for one run")
	keep := fl.String("dir", "", "work in this directory and keep it: a cache made there by an earlier run is reused")
	spread := fl.Bool("spread", true, "make each run's store in a block group of its own (ext4: chattr +T on the work directory); false measures as before 2026-11-22 21:15")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "gonix-bench-subst")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer timing.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// Each run's store in a block group of its own, so that no run pays
	// for the inodes the runs before it freed (timing.SpreadStores).
	if err := timing.SpreadStores(dir, *spread); err != nil {
		fmt.Fprintf(stderr, "note: the stores' placement is the file system's own: %v\n", err)
	}
	env := timing.Env(dir)
	var top string
	if b, err := os.ReadFile(filepath.Join(dir, "top")); err == nil && *keep != "" {
		top = strings.TrimSpace(string(b))
	} else {
		top, err = makeCache(ctx, dir, env, *paths, *size, *comp, *shape, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "setup:", err)
			return 1
		}
		if err := os.WriteFile(filepath.Join(dir, "top"), []byte(top+"\n"), 0o644); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(filepath.Join(dir, "cache"))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	pub, err := os.ReadFile(filepath.Join(dir, "pk"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cmd := func(prefix ...string) []string {
		return append(prefix, "nix-store", "--store", "STORE", "-r", top,
			"--option", "substituters", url, "--option", "trusted-public-keys", strings.TrimSpace(string(pub)))
	}
	g := &timing.Side{Label: "gonix", Argv: cmd(*gonix)}
	n := &timing.Side{Label: "nix", Argv: cmd()}
	sides := []*timing.Side{g, n}
	var a *timing.Side
	if *old != "" {
		a = &timing.Side{Label: "old", Argv: cmd(*old)}
		sides = []*timing.Side{a, g, n}
	}
	race := &timing.Race{Runs: *runs, Warmup: *warmup, Printed: "printed", Quiet: *quiet, Stderr: stderr,
		Workload: fmt.Sprintf("%d paths", *paths)}
	race.Run(ctx, sides, func(ctx context.Context, s *timing.Side, i int) (timing.Sample, []byte, error) {
		store := filepath.Join(dir, fmt.Sprintf("dst-%d", i))
		defer timing.RemoveAll(store)
		// Untimed: nothing left unwritten by the run before. Nix 2.8
		// never syncs, and gonix's sync (syncfs) would otherwise also
		// write the gigabyte Nix's previous run left in the page cache.
		syscall.Sync()
		argv := append([]string(nil), s.Argv...)
		for j, a := range argv {
			if a == "STORE" {
				argv[j] = store
			}
		}
		return timing.Measure(ctx, dir, *timeout, argv, env)
	})
	fmt.Fprintf(stdout, "Substituting a closure of %d paths (%s, %.0f MiB of NARs, %s-compressed) from a loopback HTTP cache into a fresh store:\n\n",
		*paths, *shape, float64(*size)/(1<<20), *comp)
	if a != nil {
		// The old binary against the new one first, then the verdict.
		timing.Report(stdout, g, a, 1e9, "")
		fmt.Fprintln(stdout)
	}
	if !timing.Report(stdout, g, n, *maxRatio, "same path printed; ") {
		return 1
	}
	return 0
}

// makeCache imports the closure into dir/src with Nix 2.8 and copies it to
// dir/cache, signed with a fresh key (dir/pk). It returns the top path.
func makeCache(ctx context.Context, dir string, env []string, paths int, size int64, comp, shape string, stderr io.Writer) (string, error) {
	start := time.Now()
	sh := func(stdin io.Reader, argv ...string) error {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, env, stdin
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, errb.String())
		}
		return nil
	}
	if err := sh(nil, "nix-store", "--generate-binary-cache-key", "bench-1", "sk", "pk"); err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	var top string
	go func() {
		var err error
		top, err = writeClosure(pw, paths, size, shape)
		pw.CloseWithError(err)
	}()
	src := filepath.Join(dir, "src")
	if err := sh(pr, "nix-store", "--store", src, "--import"); err != nil {
		return "", err
	}
	if err := sh(nil, "nix", "--extra-experimental-features", "nix-command", "copy", "--store", src,
		"--to", fmt.Sprintf("file://%s/cache?compression=%s&secret-key=%s/sk", dir, comp, dir), top); err != nil {
		return "", err
	}
	timing.RemoveAll(src)
	fmt.Fprintf(stderr, "setup: %d paths imported and copied to a %s cache in %.1f s\n", paths, comp, time.Since(start).Seconds())
	return top, nil
}

// writeClosure writes the export stream: path i holds a file of about
// size/paths bytes of half-compressible data (random words from a small
// vocabulary, as binaries and text compress about 3:1) and its references:
// shape "tree" (a binary tree of depth log2(paths), closures as wide as
// real ones) or "chain" (i refers to i-1 and i/2: every path waits for the
// one before it, the worst case for parallel copying). An export stream
// must list references first, so paths are written in that order.
func writeClosure(w io.Writer, paths int, size int64, shape string) (string, error) {
	names := make([]string, paths)
	for i := range names {
		sum := sha256.Sum256([]byte(fmt.Sprintf("gonix-bench-subst-%d", i)))
		names[i] = fmt.Sprintf("/nix/store/%s-bench-%d", nixbase32.EncodeToString(sum[:20]), i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 4096)
	for i := range vocab {
		b := make([]byte, 3+rng.IntN(8))
		for j := range b {
			b[j] = byte(33 + rng.IntN(94))
		}
		vocab[i] = string(b)
	}
	per := int(size / int64(paths))
	ew := export.NewWriter(w, "/nix/store")
	var buf bytes.Buffer
	order := make([]int, paths)
	for i := range order {
		order[i] = i
		if shape != "chain" {
			order[i] = paths - 1 - i
		}
	}
	for _, i := range order {
		p := names[i]
		var refs []string
		buf.Reset()
		fmt.Fprintf(&buf, "path %d\n", i)
		var ref []int
		switch shape {
		case "chain":
			if i > 0 {
				ref = append(ref, i-1)
			}
			if i > 1 {
				ref = append(ref, i/2)
			}
		default: // tree: i refers to 2i+1 and 2i+2
			for _, j := range []int{2*i + 1, 2*i + 2} {
				if j < paths {
					ref = append(ref, j)
				}
			}
		}
		for _, j := range ref {
			refs = append(refs, names[j])
			fmt.Fprintln(&buf, names[j])
		}
		for buf.Len() < per {
			buf.WriteString(vocab[rng.IntN(len(vocab))])
			buf.WriteByte(' ')
		}
		var n bytes.Buffer
		if err := nar.DumpBytes(&n, buf.Bytes(), false); err != nil {
			return "", err
		}
		if err := ew.WritePath(export.Entry{Path: p, References: refs}, &n); err != nil {
			return "", err
		}
	}
	if shape == "chain" {
		return names[len(names)-1], ew.Close()
	}
	return names[0], ew.Close()
}
