package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonix/internal/cli/args"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
	"gonix/internal/store/binarycache"
	"gonix/internal/store/local"
)

// CopyOptions is a parsed `gonix copy` (nix copy) command line.
type CopyOptions struct {
	args.Settings
	From, To        string
	NoCheckSigs     bool
	SubstituteOnDst bool
	All             bool
	Stdin           bool
	Derivation      bool
	NoRecursive     bool
	Jobs            int
	Installables    []string
}

func parseCopy(argv []string) (*CopyOptions, legacyAction, error) {
	o := &CopyOptions{Settings: args.NewSettings()}
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "copy")...)
	p.Add(legacyFlags(&act)...)
	str := func(dst *string) func(string, []string) error {
		return func(_ string, v []string) error { *dst = v[0]; return nil }
	}
	set := func(dst *bool) func(string, []string) error {
		return func(string, []string) error { *dst = true; return nil }
	}
	p.Add(
		args.Flag{Names: []string{"--from"}, Arity: 1, Handle: str(&o.From)},
		args.Flag{Names: []string{"--to"}, Arity: 1, Handle: str(&o.To)},
		args.Flag{Names: []string{"--no-check-sigs"}, Handle: set(&o.NoCheckSigs)},
		args.Flag{Names: []string{"--substitute-on-destination", "-s"}, Handle: set(&o.SubstituteOnDst)},
		args.Flag{Names: []string{"--all"}, Handle: set(&o.All)},
		args.Flag{Names: []string{"--stdin"}, Handle: set(&o.Stdin)},
		args.Flag{Names: []string{"--derivation"}, Handle: set(&o.Derivation)},
		args.Flag{Names: []string{"--no-recursive"}, Handle: set(&o.NoRecursive)},
		args.Flag{Names: []string{"--jobs"}, Arity: 1, Handle: func(name string, v []string) error {
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 {
				return args.Usagef("flag '%s' requires a positive integer, not '%s'", name, v[0])
			}
			o.Jobs = n
			return nil
		}},
	)
	p.Positional = func(arg string) error { o.Installables = append(o.Installables, arg); return nil }
	err := p.Parse(argv)
	return o, act, err
}

// mainCopy is `gonix copy` (also `gonix nix copy`): nix copy.
func mainCopy(e *Env, program string, argv []string) int {
	if program == "copy" {
		program = "gonix copy" // a new-style command: no link is named copy
	}
	o, act, err := parseCopy(argv)
	return legacyMain(e, program, "copy", &o.Settings, act, err, copyHelp,
		func() error { return runCopy(e, o) })
}

// copyEnd is one side of a copy: a local store or a binary cache.
type copyEnd struct {
	local *local.Store
	cache *binarycache.Cache
	uri   string
}

func (c *copyEnd) Close() {
	if c.local != nil {
		c.local.Close()
	}
	if c.cache != nil {
		c.cache.Close()
	}
}

func (c *copyEnd) storeDir() string {
	if c.local != nil {
		return c.local.StoreDir()
	}
	return c.cache.StoreDir()
}

// isCacheURL reports whether u names a binary cache rather than a local
// (chroot) store.
func isCacheURL(u string) bool {
	for _, s := range []string{"file://", "http://", "https://"} {
		if strings.HasPrefix(u, s) {
			return true
		}
	}
	return false
}

// openCopyEnd opens u: "" is the store --store selects, file:// and
// http(s):// are binary caches, anything else a local store URL as
// --store takes it (a directory, local?root=DIR).
func openCopyEnd(e *Env, settings *args.Settings, u string, write bool) (*copyEnd, error) {
	if isCacheURL(u) {
		storeDir := "/nix/store"
		if d := e.Getenv("NIX_STORE_DIR"); d != "" {
			storeDir = strings.TrimRight(d, "/")
		}
		opts := []binarycache.Option{binarycache.WithStoreDir(storeDir),
			binarycache.WithWarn(func(msg string) { fmt.Fprintf(e.Stderr, "warning: %s\n", msg) })}
		// Nix's filetransfer settings: download-attempts, connect-timeout
		// and stalled-download-timeout (seconds).
		seconds := func(name string) time.Duration {
			v, _ := settings.Lookup(name)
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return 0
			}
			return time.Duration(n) * time.Second
		}
		if v, ok := settings.Lookup("download-attempts"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				opts = append(opts, binarycache.WithTries(n, 0))
			}
		}
		opts = append(opts, binarycache.WithTimeouts(seconds("connect-timeout"), seconds("stalled-download-timeout")))
		c, err := binarycache.OpenURL(e.Ctx(), u, opts...)
		if err != nil {
			return nil, err
		}
		return &copyEnd{cache: c, uri: c.URI()}, nil
	}
	s := *settings
	if u != "" {
		s.StoreURL = u
	}
	st, err := openLocalStore(e, &s, !write)
	if err != nil {
		return nil, err
	}
	uri := "local"
	if root := filepath.Dir(filepath.Dir(st.RealStoreDir())); st.RealStoreDir() != st.StoreDir() {
		uri = root
	}
	return &copyEnd{local: st, uri: uri}, nil
}

func runCopy(e *Env, o *CopyOptions) error {
	ctx := e.Ctx()
	if o.SubstituteOnDst {
		// Only SSH stores substitute on the destination; for the stores
		// gonix copies between the flag changes nothing, as in Nix.
		o.SubstituteOnDst = false
	}
	if o.From == "" && o.To == "" {
		return args.Usagef("you must pass '--from' and/or '--to'")
	}
	if o.Stdin {
		sc := bufio.NewScanner(e.Stdin)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			o.Installables = append(o.Installables, strings.Fields(sc.Text())...)
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading installables from standard input: %w", err)
		}
	}
	src, err := openCopyEnd(e, &o.Settings, o.From, false)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openCopyEnd(e, &o.Settings, o.To, true)
	if err != nil {
		return err
	}
	defer dst.Close()
	if src.storeDir() != dst.storeDir() {
		return fmt.Errorf("cannot copy from a store with prefix '%s' to one with prefix '%s'", src.storeDir(), dst.storeDir())
	}

	var roots []string
	if o.All {
		if src.local == nil {
			return fmt.Errorf("'--all' needs a local source store; binary cache '%s' cannot list its paths", src.uri)
		}
		if roots, err = src.local.QueryAllValidPaths(ctx); err != nil {
			return err
		}
	} else {
		if len(o.Installables) == 0 {
			return args.Usagef("no installables given; pass store paths (or --all)")
		}
		for _, inst := range o.Installables {
			p, err := installableStorePath(e, src.storeDir(), inst)
			if err != nil {
				return err
			}
			roots = append(roots, p)
		}
	}

	// The closure in the source, references before referrers.
	var order []string
	infos := map[string]*narinfo.NarInfo{} // a cache source's narinfos
	switch {
	case src.local != nil:
		closure := roots
		if !o.NoRecursive {
			if closure, err = store.ComputeClosure(ctx, src.local, roots, false, false, false); err != nil {
				return err
			}
		} else {
			for _, p := range roots {
				if _, err := src.local.QueryPathInfo(ctx, p); err != nil {
					return err
				}
			}
		}
		sorted, err := store.TopoSort(ctx, src.local, closure)
		if err != nil {
			return err
		}
		for i := len(sorted) - 1; i >= 0; i-- {
			order = append(order, sorted[i])
		}
	default:
		var nis []*narinfo.NarInfo
		if o.NoRecursive {
			for _, p := range roots {
				ni, err := src.cache.QueryPathInfo(ctx, p)
				if err != nil {
					return err
				}
				nis = append(nis, ni)
			}
		} else if nis, err = src.cache.ClosureInfos(ctx, roots); err != nil {
			return err
		}
		for _, ni := range nis {
			order = append(order, ni.StorePath)
			infos[ni.StorePath] = ni
		}
	}

	checkSigs := !o.NoCheckSigs && boolSettingOf(&o.Settings, "require-sigs", true)
	msg := func(p string) string {
		switch {
		case dst.local != nil && src.local != nil:
			return fmt.Sprintf("copying path '%s' from '%s' to '%s'...", p, src.uri, dst.uri)
		case dst.local != nil:
			return fmt.Sprintf("copying path '%s' from '%s'...", p, src.uri)
		case src.local != nil:
			return fmt.Sprintf("copying path '%s' to '%s'...", p, dst.uri)
		}
		return fmt.Sprintf("copying path '%s' from '%s' to '%s'...", p, src.uri, dst.uri)
	}
	quiet := o.Verbosity < args.LevelInfo

	if dst.cache != nil {
		var source binarycache.Source = src.local
		if src.local == nil {
			source = src.cache.AsSource()
		}
		_, err := dst.cache.AddClosure(ctx, source, order, binarycache.CopyOptions{
			Jobs: o.Jobs,
			Start: func(n int) {
				if !quiet {
					fmt.Fprintf(e.Stderr, "copying %d paths...\n", n)
				}
			},
			Progress: func(p binarycache.Progress) {
				if p.Copied && !quiet {
					fmt.Fprintln(e.Stderr, msg(p.Path))
				}
			},
		})
		return err
	}

	// Into a local store: substitute from a cache, or NAR-copy from
	// another local store; each path after its references.
	var missing []string
	for _, p := range order {
		ok, err := dst.local.IsValidPath(ctx, p)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if !quiet {
		fmt.Fprintf(e.Stderr, "copying %d paths...\n", len(missing))
	}
	keys, err := trustedKeysOf(&o.Settings)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	say := func(line string) {
		if !quiet {
			mu.Lock()
			fmt.Fprintln(e.Stderr, line)
			mu.Unlock()
		}
	}
	refs := func(ctx context.Context, p string) ([]string, error) {
		if ni := infos[p]; ni != nil {
			return src.cache.PathInfo(ni).References, nil
		}
		info, err := src.local.QueryPathInfo(ctx, p)
		if err != nil {
			return nil, err
		}
		return info.References, nil
	}
	return binarycache.InOrder(ctx, missing, refs, o.Jobs, func(ctx context.Context, p string) error {
		say(msg(p))
		if ni := infos[p]; ni != nil {
			return binarycache.SubstituteInfo(ctx, src.cache, dst.local, ni, keys, checkSigs)
		}
		return copyLocalPath(ctx, src.local, dst.local, p, keys, checkSigs)
	})
}

// copyLocalPath copies one valid path between local stores, its
// references being valid in dst already. With checkSigs the path must be
// signed by a trusted key or be content-addressed, as LocalStore::addToStore
// demands.
func copyLocalPath(ctx context.Context, src, dst *local.Store, p string, keys []narinfo.PublicKey, checkSigs bool) error {
	info, err := src.QueryPathInfo(ctx, p)
	if err != nil {
		return err
	}
	if checkSigs {
		n, err := binarycache.NarInfoFor(info).CheckSignatures(keys)
		if err != nil {
			return err
		}
		if n < 1 {
			return fmt.Errorf("cannot add path '%s' because it lacks a valid signature (pass --no-check-sigs, or sign it with gonix store sign)", p)
		}
	}
	copied := *info
	copied.Ultimate = false
	copied.RegistrationTime = 0
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(src.DumpPath(ctx, p, pw)) }()
	err = dst.AddNAR(ctx, &copied, pr)
	pr.CloseWithError(errors.New("copy ended"))
	if err != nil {
		return fmt.Errorf("copying '%s': %w", p, err)
	}
	return nil
}

// installableStorePath turns an installable into a store path: a store
// path (or a file inside one), or a link (such as ./result) that leads
// to one. Installables that need evaluation are not supported here.
func installableStorePath(e *Env, storeDir, inst string) (string, error) {
	inStore := func(p string) (string, bool) {
		if !strings.HasPrefix(p, storeDir+"/") {
			return "", false
		}
		rest := p[len(storeDir)+1:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i]
		}
		if rest == "" {
			return "", false
		}
		return storeDir + "/" + rest, true
	}
	p := inst
	if !filepath.IsAbs(p) {
		p = filepath.Join(e.Dir, p)
	}
	p = filepath.Clean(p)
	for i := 0; i < 40; i++ {
		if sp, ok := inStore(p); ok {
			return sp, nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			break
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = filepath.Clean(target)
	}
	return "", fmt.Errorf("installable '%s' is not a store path or a link to one; installables that need evaluation (flakes, -f, --expr) are not supported by gonix copy yet: pass store paths", inst)
}

func boolSettingOf(s *args.Settings, name string, def bool) bool {
	v, ok := s.Lookup(name)
	if !ok {
		return def
	}
	return v == "true" || v == "1" || v == "yes"
}

// trustedKeysOf parses the trusted-public-keys setting.
func trustedKeysOf(s *args.Settings) ([]narinfo.PublicKey, error) {
	var keys []narinfo.PublicKey
	v, _ := s.Lookup("trusted-public-keys")
	for _, f := range strings.Fields(v) {
		k, err := narinfo.ParsePublicKey(f)
		if err != nil {
			return nil, fmt.Errorf("setting 'trusted-public-keys': %w", err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

const copyHelp = `Usage: gonix copy [--from STORE] [--to STORE] [flags] PATHS...
       gonix nix copy ...

Copy store path closures between stores, as Nix 2.8's nix copy. A STORE is
a binary cache (file:///dir, http://host/path, https://...) or a local
store (a chroot directory such as /tmp/s, local?root=/tmp/s); an omitted
--from or --to is the store --store selects. References are copied before
the paths that need them; paths already there are skipped.

Binary cache URL parameters (for --to):
  compression=xz|zstd|bzip2|br|none   NAR compression (default xz)
  compression-level=N                 method-specific level
  secret-key=FILE                     sign every narinfo written
  priority=N, want-mass-query=BOOL    override nix-cache-info when reading

Flags:
      --from STORE               the source store
      --to STORE                 the destination store
      --no-check-sigs            copy into a local store without requiring
                                 signatures by trusted-public-keys
  -s, --substitute-on-destination
                                 accepted; only SSH stores substitute there
      --all                      every valid path of the (local) source
      --stdin                    read more store paths from standard input
      --derivation               accepted (store paths are taken as they are)
      --no-recursive             copy only the paths, not their closures
      --jobs N                   paths copied at once (default 8)
      --store STORE              the local store (default for --from/--to)

Installables must be store paths or links to them (./result); expressions
and flakes are not evaluated by gonix copy yet.
`
