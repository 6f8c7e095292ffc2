package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"gonix/internal/cli/args"
	"gonix/internal/format/narinfo"
	"gonix/internal/store/binarycache/serve"
)

// ServeOptions is a parsed `gonix serve` command line.
type ServeOptions struct {
	args.Settings
	Listen         string
	SecretKeyFiles []string
	Compression    string
	Priority       int
	MaxStreams     int
}

func parseServe(argv []string) (*ServeOptions, legacyAction, error) {
	o := &ServeOptions{Settings: args.NewSettings(), Listen: "127.0.0.1:5000", Compression: "none", Priority: 30}
	act := actionRun
	intFlag := func(dst *int, min int) func(string, []string) error {
		return func(name string, v []string) error {
			n, err := strconv.Atoi(v[0])
			if err != nil || n < min {
				return args.Usagef("flag '%s' requires an integer of at least %d, not '%s'", name, min, v[0])
			}
			*dst = n
			return nil
		}
	}
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "serve")...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"--listen", "-l"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.Listen = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--secret-key-file"}, Arity: 1, Legacy: true, Handle: args.AppendArg(&o.SecretKeyFiles)},
		args.Flag{Names: []string{"--compression"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.Compression = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--priority"}, Arity: 1, Legacy: true, Handle: intFlag(&o.Priority, 1)},
		args.Flag{Names: []string{"--max-streams"}, Arity: 1, Legacy: true, Handle: intFlag(&o.MaxStreams, 1)},
	)
	p.Positional = func(arg string) error { return args.Usagef("unexpected argument '%s'", arg) }
	err := p.Parse(argv)
	return o, act, err
}

// mainServe is `gonix serve`: an HTTP binary cache in front of the local
// store, as nix-serve.
func mainServe(e *Env, program string, argv []string) int {
	o, act, err := parseServe(argv)
	return legacyMain(e, program, "serve", &o.Settings, act, err, serveHelp,
		func() error { return runServe(e, o) })
}

// serveMemoryLimit is the soft memory limit of a server (GOMEMLIMIT
// wins). tuneRuntime's GC percent (400 for a small heap) suits short
// evaluations; a server running for days with a small live heap (the
// buffers of the streams in flight) would let garbage grow to several
// times that, so it collects at GOGC=100 (GOGC wins) and, whatever the
// percent, before the heap passes this limit.
const serveMemoryLimit = 96 << 20

func runServe(e *Env, o *ServeOptions) error {
	ctx := e.Ctx()
	// Both are process-wide; put back when the server stops, so an
	// in-process caller (the tests) keeps its own.
	if e.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(serveMemoryLimit))
	}
	if e.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(100))
	}
	keyFiles := o.SecretKeyFiles
	if len(keyFiles) == 0 {
		if f := e.Getenv("NIX_SECRET_KEY_FILE"); f != "" {
			keyFiles = []string{f}
		}
	}
	var keys []narinfo.SecretKey
	for _, f := range keyFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading secret key file: %w", err)
		}
		k, err := narinfo.ParseSecretKey(string(data))
		if err != nil {
			return fmt.Errorf("secret key file '%s': %w", f, err)
		}
		keys = append(keys, k)
	}

	// Read-only: the database is opened read-only and nothing is created,
	// so the server can run beside builds and other Nix processes.
	st, err := openLocalStore(e, &o.Settings, true)
	if err != nil {
		return err
	}
	defer st.Close()
	unlock, err := holdBigLockShared(ctx, filepath.Join(st.RealStateDir(), "db/big-lock"))
	if err != nil {
		return err
	}
	defer unlock()

	h, err := serve.New(serve.Options{
		Store:       st,
		LogDir:      filepath.Join(filepath.Dir(st.RealStateDir()), "log/nix"),
		Keys:        keys,
		Compression: o.Compression,
		Priority:    o.Priority,
		MaxStreams:  o.MaxStreams,
		ErrorLog:    e.Stderr,
	})
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var handler http.Handler = h
	if o.Verbosity >= args.LevelInfo {
		handler = serve.AccessLog(h, e.Stderr)
	}
	fmt.Fprintf(e.Stderr, "serving %s on http://%s (compression %s, %d signing keys)\n",
		st.StoreDir(), ln.Addr(), o.Compression, len(keys))
	return serve.Serve(ctx, ln, handler, serve.ServerOptions{ErrorLog: e.Stderr})
}

// holdBigLockShared takes Nix's big lock shared, as every store user does
// (spec/store.md §7.8), so that no schema upgrade runs under the server.
// A store without a lock file (never written by Nix) needs none.
func holdBigLockShared(ctx context.Context, p string) (func(), error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	} else if err != nil {
		return nil, fmt.Errorf("opening the big lock '%s': %w", p, err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("acquiring the big lock '%s': %w", p, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

const serveHelp = `Usage: gonix serve [--store DIR] [--listen ADDR:PORT] [--secret-key-file FILE]
                   [--compression none|xz|zstd|bzip2|br] [--priority N] [--max-streams N] [--quiet]

Serve the local store over HTTP as a binary cache, as nix-serve does: Nix
2.8 substitutes from it with --option substituters http://ADDR:PORT (and the
key's public half in trusted-public-keys). The store is opened read-only
(the database read-only, the big lock shared), so the server can run
beside builds; it never writes.

Routes (GET and HEAD):
  /nix-cache-info              StoreDir, WantMassQuery: 1, Priority
  /<hash>.narinfo              a valid path's narinfo (404 if not valid),
                               signed with every --secret-key-file key
                               beside the signatures the store holds
  /nar/<hash>-<narhash>.nar[.xz|.zst|.bz2|.br]
                               the path's NAR, compressed on the fly
  /log/<name>                  the build log of a .drv (or of an output's
                               deriver), if the store has it

Flags:
  -l, --listen ADDR:PORT       where to listen (default 127.0.0.1:5000;
                               :5000 for every interface, :0 for any port)
      --secret-key-file FILE   sign narinfos with this key (repeatable);
                               default: the file NIX_SECRET_KEY_FILE names
                               (a key from nix-store --generate-binary-cache-key)
      --compression METHOD     none (default; FileHash/FileSize then given),
                               or on the fly (no FileHash/FileSize): zstd
                               (cheap), xz (dictionary up to 1 MiB; slow),
                               bzip2 or br (quality 6); Nix 2.8 reads all
      --priority N             Priority in nix-cache-info, 1 or more (default
                               30; lower is preferred; cache.nixos.org has 40)
      --max-streams N          NARs sent at once (default 16); more wait up
                               to 60s, then get 503 (Nix retries)
      --quiet                  no access log (by default one line per
                               request on stderr: time, client, method,
                               path, status, bytes, duration)
      --store DIR              the store to serve (a chroot store directory)

Limits: request headers must arrive within 10s; idle keep-alive connections
close after 120s; a download whose client reads nothing for 60s is cut (no
limit on a download's total time). Uncompressed NARs can be resumed
(Accept-Ranges: bytes; Nix 2.8 resumes a cut download only then). Memory
is per stream slot, not per closure: about 256 KiB, plus about 6 MiB with
zstd or 10 MiB with xz. Errors from the store answer 500 and go to stderr.
SIGINT/SIGTERM stop accepting and let running downloads finish for up to 10s.
` + "\n" + commonHelp
