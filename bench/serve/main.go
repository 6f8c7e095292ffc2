// Command serve is a load test of `gonix serve`: for each closure size it
// fills a fresh chroot store with a closure of generated, input-addressed
// paths (random-ish contents, a chain of references plus random extra
// ones), starts `gonix serve` on it with a signing key, and runs many
// concurrent clients that each fetch the whole closure the way a
// substituter does — nix-cache-info, then narinfo by narinfo from the top
// path along References, and every NAR. Each client checks every
// narinfo's signature and every NAR against NarHash and NarSize. It
// reports wall time, throughput, errors and the server's peak RSS
// (VmHWM from /proc/PID/status), one Markdown table row per size.
//
// There is no HTTP server in Nix 2.8 to compare with; with -nix, the
// same load also runs against what Nix offers instead — the closure
// written by `nix copy --to file://` (same compression, same key) behind
// the Go standard library's static file server — and the ratios of wall
// and server CPU time are printed.
//
//	go run ./bench/serve -gonix /path/to/gonix -mib 50,200 -paths 200 -clients 50 -nix nix
//
// Exit status 0 when no client saw an error, 1 otherwise, 2 on bad usage.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

func main() {
	// An interrupt ends the run; the server (started with the context)
	// is killed and the temporary stores removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

type config struct {
	gonix       string
	sizes       []int // MiB
	paths       int
	clients     int
	compression string
	maxStreams  int
	nix         string
	keep        bool
}

func run(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var sizes, fileServer string
	fs.StringVar(&c.gonix, "gonix", "", "the gonix binary to run as the server (required)")
	fs.StringVar(&sizes, "mib", "50,200", "closure sizes to test, MiB, comma-separated")
	fs.IntVar(&c.paths, "paths", 200, "paths in each closure")
	fs.IntVar(&c.clients, "clients", 50, "concurrent clients, each fetching the whole closure")
	fs.StringVar(&c.compression, "compression", "none", "gonix serve --compression")
	fs.IntVar(&c.maxStreams, "max-streams", 0, "gonix serve --max-streams (0: its default)")
	fs.StringVar(&c.nix, "nix", "", "Nix 2.8's nix command: when set, the same load also runs against the closure written by `nix copy --to file://` (compression as -compression) behind a static file server, for a ratio")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary stores")
	fs.StringVar(&fileServer, "fileserver", "", "internal: serve this directory as static files")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	if fileServer != "" {
		return serveFiles(ctx, fileServer, stderr)
	}
	if c.gonix == "" || c.paths < 1 || c.clients < 1 {
		fmt.Fprintln(stderr, "serve: -gonix is required; -paths and -clients must be positive")
		return 2
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "serve: bad -mib value %q\n", s)
			return 2
		}
		c.sizes = append(c.sizes, n)
	}
	fmt.Fprintf(stdout, "gonix serve load test: %d paths, %d clients, compression %s\n\n", c.paths, c.clients, c.compression)
	fmt.Fprintln(stdout, "| closure | server | NAR bytes served | wall | throughput | requests | errors | server peak RSS (VmHWM) | idle RSS | server CPU |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|---|")
	failed := false
	var ratios []string
	for _, mib := range c.sizes {
		rs, err := runSize(ctx, c, mib, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "serve: %d MiB: %v\n", mib, err)
			failed = true
			continue
		}
		for _, r := range rs {
			fmt.Fprintf(stdout, "| %d paths, %d MiB | %s | %.1f GiB | %.1f s | %.0f MiB/s | %d | %d | %.1f MiB | %.1f MiB | %.1f s |\n",
				c.paths, mib, r.server, float64(r.narBytes)/(1<<30), r.wall.Seconds(),
				float64(r.narBytes)/(1<<20)/r.wall.Seconds(), r.requests, r.errors,
				float64(r.hwmKiB)/1024, float64(r.idleKiB)/1024, r.cpu.Seconds())
			if r.errors > 0 {
				failed = true
			}
		}
		if len(rs) == 2 {
			ratios = append(ratios, fmt.Sprintf("%d MiB: wall %.2f, server CPU %.2f", mib,
				rs[0].wall.Seconds()/rs[1].wall.Seconds(), rs[0].cpu.Seconds()/rs[1].cpu.Seconds()))
		}
	}
	if len(ratios) > 0 {
		fmt.Fprintf(stdout, "\ngonix serve / static files of nix copy: %s\n", strings.Join(ratios, "; "))
	}
	if failed {
		return 1
	}
	return 0
}

type result struct {
	server           string
	wall             time.Duration
	narBytes, wire   int64
	requests, errors int64
	hwmKiB, idleKiB  int64
	cpu              time.Duration
}

// runSize fills a store with a closure of mib MiB and runs the load
// against gonix serve, then (with -nix) against Nix's file cache of it.
func runSize(ctx context.Context, c config, mib int, stderr io.Writer) ([]*result, error) {
	dir, err := os.MkdirTemp("", "gonix-bench-serve-")
	if err != nil {
		return nil, err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	root := filepath.Join(dir, "store")
	fmt.Fprintf(stderr, "filling %s with %d paths, %d MiB...\n", root, c.paths, mib)
	top, err := fill(ctx, root, c.paths, int64(mib)<<20)
	if err != nil {
		return nil, err
	}
	sk, pk, err := narinfo.GenerateKey("bench-serve-1", nil)
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "sec.key")
	if err := os.WriteFile(keyFile, []byte(sk.String()), 0o600); err != nil {
		return nil, err
	}

	args := []string{"serve", "--store", root, "--listen", "127.0.0.1:0", "--quiet",
		"--secret-key-file", keyFile, "--compression", c.compression}
	if c.maxStreams > 0 {
		args = append(args, "--max-streams", strconv.Itoa(c.maxStreams))
	}
	r, err := load(ctx, c, "gonix serve", exec.CommandContext(ctx, c.gonix, args...), top, pk, stderr)
	if err != nil {
		return nil, err
	}
	out := []*result{r}
	if c.nix == "" {
		return out, nil
	}
	cache := filepath.Join(dir, "cache")
	fmt.Fprintf(stderr, "nix copy --to file://%s...\n", cache)
	cp := exec.CommandContext(ctx, c.nix, "--extra-experimental-features", "nix-command", "copy",
		"--option", "substituters", "", "--from", root,
		"--to", "file://"+cache+"?compression="+c.compression+"&secret-key="+keyFile, top)
	cp.Env = append(os.Environ(), "HOME="+dir)
	if msg, err := cp.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("nix copy: %v\n%s", err, msg)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r, err = load(ctx, c, "static files (nix copy)", exec.CommandContext(ctx, self, "-fileserver", cache), top, pk, stderr)
	if err != nil {
		return nil, err
	}
	return append(out, r), nil
}

// load starts the server cmd, which announces its http:// address on
// stderr, and runs c.clients clients fetching the closure of top.
func load(ctx context.Context, c config, name string, cmd *exec.Cmd, top string, pk narinfo.PublicKey, stderr io.Writer) (*result, error) {
	srv, err := startServer(cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer srv.stop()
	// Idle RSS: after one request, before the load.
	if _, err := get(ctx, http.DefaultClient, srv.url+"/nix-cache-info"); err != nil {
		return nil, err
	}
	r := &result{server: name}
	r.idleKiB, _ = procStatus(srv.cmd.Process.Pid, "VmHWM")

	fmt.Fprintf(stderr, "%s: %d clients fetching the closure of %s...\n", name, c.clients, top)
	var wg sync.WaitGroup
	var firstErrs sync.Map
	start := time.Now()
	for i := 0; i < c.clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &client{
				http:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}},
				base:    srv.url,
				pub:     pk,
				res:     r,
				onError: func(err error) { firstErrs.LoadOrStore(err.Error(), true) },
			}
			cl.fetchClosure(ctx, top)
			cl.http.CloseIdleConnections()
		}()
	}
	wg.Wait()
	r.wall = time.Since(start)
	r.hwmKiB, err = procStatus(srv.cmd.Process.Pid, "VmHWM")
	if err != nil {
		return nil, err
	}
	r.cpu, _ = procCPU(srv.cmd.Process.Pid)
	n := 0
	firstErrs.Range(func(k, _ any) bool {
		fmt.Fprintf(stderr, "error: %s\n", k)
		n++
		return n < 10
	})
	return r, nil
}

// serveFiles is the baseline server: the standard library's file server
// over a binary cache directory, with the same connection timeouts as
// gonix serve.
func serveFiles(ctx context.Context, dir string, stderr io.Writer) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(stderr, "serving %s on http://%s\n", dir, ln.Addr())
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// fill creates a store at root holding n input-addressed paths of about
// total bytes in all, path i referring to path i-1 and up to three random
// earlier ones, so the last path's closure is all of them. Sizes are
// log-uniform (1 KiB to 1 MiB before scaling); contents mix random bytes
// with repetitive text, so compressors have something to do.
func fill(ctx context.Context, root string, n int, total int64) (string, error) {
	st, err := local.Open(ctx, local.Options{Root: root, NoSync: true})
	if err != nil {
		return "", err
	}
	defer st.Close()
	rng := rand.New(rand.NewChaCha8([32]byte{'g', 'o', 'n', 'i', 'x'}))
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = math.Exp(rng.Float64() * math.Log(1024))
		sum += weights[i]
	}
	var paths []string
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		size := int(float64(total) * weights[i] / sum)
		refs := []string{}
		if i > 0 {
			refs = append(refs, paths[i-1])
			for k := rng.IntN(4); k > 0; k-- {
				refs = append(refs, paths[rng.IntN(i)])
			}
		}
		content := make([]byte, 0, size+len(refs)*64)
		for _, r := range refs {
			content = append(content, r...)
			content = append(content, '\n')
		}
		for len(content) < size {
			chunk := min(4096, size-len(content))
			if rng.IntN(2) == 0 {
				b := make([]byte, chunk)
				for j := range b {
					b[j] = byte(rng.Uint32())
				}
				content = append(content, b...)
			} else {
				content = append(content, bytes.Repeat([]byte("gonix serve bench "), chunk/18+1)[:chunk]...)
			}
		}
		name := fmt.Sprintf("bench-%03d", i)
		digest := sha256.Sum256(append([]byte(name), content[:min(len(content), 4096)]...))
		p, err := storepath.MakeStorePath(st.StoreDir(), "output:out", digest[:], name)
		if err != nil {
			return "", err
		}
		buf.Reset()
		if err := nar.DumpBytes(&buf, content, i%7 == 0); err != nil {
			return "", err
		}
		h := sha256.Sum256(buf.Bytes())
		info := &store.PathInfo{Path: p, NarHash: hash.Hash{Algo: hash.SHA256, Digest: h[:]},
			NarSize: uint64(buf.Len()), References: dedupe(refs)}
		if err := st.AddNAR(ctx, info, bytes.NewReader(buf.Bytes())); err != nil {
			return "", err
		}
		paths = append(paths, p)
	}
	return paths[n-1], nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// startServer starts cmd and reads the server's address from the first
// line of its stderr that has one.
func startServer(cmd *exec.Cmd) (*server, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "http://"); i >= 0 {
			s.url = strings.Fields(line[i:])[0]
			break
		}
		fmt.Fprintln(os.Stderr, line)
	}
	if s.url == "" {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("the server printed no address")
	}
	go func() {
		io.Copy(os.Stderr, stderr)
		s.done <- cmd.Wait()
	}()
	return s, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

type client struct {
	http    *http.Client
	base    string
	pub     narinfo.PublicKey
	res     *result
	onError func(error)
}

func (c *client) fail(err error) {
	atomic.AddInt64(&c.res.errors, 1)
	c.onError(err)
}

// fetchClosure walks the closure of top as a substituter does.
func (c *client) fetchClosure(ctx context.Context, top string) {
	if _, err := c.get(ctx, "/nix-cache-info"); err != nil {
		c.fail(err)
		return
	}
	seen := map[string]bool{top: true}
	queue := []string{top}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		ni, err := c.fetchPath(ctx, p)
		if err != nil {
			c.fail(fmt.Errorf("%s: %w", p, err))
			continue
		}
		for _, r := range ni.References {
			full := "/nix/store/" + r
			if !seen[full] {
				seen[full] = true
				queue = append(queue, full)
			}
		}
	}
}

func (c *client) get(ctx context.Context, path string) ([]byte, error) {
	atomic.AddInt64(&c.res.requests, 1)
	return get(ctx, c.http, c.base+path)
}

func get(ctx context.Context, cl *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

func (c *client) fetchPath(ctx context.Context, p string) (*narinfo.NarInfo, error) {
	hashPart := strings.TrimPrefix(p, "/nix/store/")[:32]
	body, err := c.get(ctx, "/"+hashPart+".narinfo")
	if err != nil {
		return nil, err
	}
	ni, err := narinfo.Parse("/nix/store", body)
	if err != nil {
		return nil, err
	}
	if ni.StorePath != p {
		return nil, fmt.Errorf("narinfo is for %s", ni.StorePath)
	}
	if n, err := ni.CheckSignatures([]narinfo.PublicKey{c.pub}); err != nil || n < 1 {
		return nil, fmt.Errorf("no valid signature (%v)", err)
	}
	atomic.AddInt64(&c.res.requests, 1)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/"+ni.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", ni.URL, resp.Status)
	}
	wire := &countReader{r: resp.Body}
	var r io.Reader = wire
	switch ni.Compression {
	case "none":
	case "xz":
		if r, err = xz.NewReader(bufio.NewReaderSize(wire, 64<<10)); err != nil {
			return nil, err
		}
	case "zstd":
		d, err := zstd.NewReader(wire, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer d.Close()
		r = d
	default:
		return nil, fmt.Errorf("unexpected compression %q", ni.Compression)
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return nil, fmt.Errorf("reading NAR: %w", err)
	}
	if uint64(n) != ni.NarSize || !bytes.Equal(h.Sum(nil), ni.NarHash.Digest) {
		return nil, errors.New("NAR does not match NarHash/NarSize")
	}
	atomic.AddInt64(&c.res.narBytes, n)
	atomic.AddInt64(&c.res.wire, wire.n)
	return ni, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// procStatus reads a "kB" field of /proc/PID/status.
func procStatus(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// procCPU is the user+system CPU time of a running process.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}
