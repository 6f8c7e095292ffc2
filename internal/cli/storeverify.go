package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strconv"
	"sync"

	"gonix/internal/cli/args"
	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
	"gonix/internal/store/binarycache"
)

// StoreVerifyOptions is a parsed `gonix store verify` command line.
type StoreVerifyOptions struct {
	args.Settings
	NoContents   bool
	NoTrust      bool
	Substituters []string
	SigsNeeded   int
	Recursive    bool
	All          bool
	Installables []string
}

func parseStoreVerify(argv []string) (*StoreVerifyOptions, legacyAction, error) {
	o := &StoreVerifyOptions{Settings: args.NewSettings()}
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "store verify")...)
	p.Add(legacyFlags(&act)...)
	set := func(dst *bool) func(string, []string) error {
		return func(string, []string) error { *dst = true; return nil }
	}
	p.Add(
		args.Flag{Names: []string{"--no-contents"}, Handle: set(&o.NoContents)},
		args.Flag{Names: []string{"--no-trust"}, Handle: set(&o.NoTrust)},
		args.Flag{Names: []string{"--substituter", "-s"}, Arity: 1, Handle: args.AppendArg(&o.Substituters)},
		args.Flag{Names: []string{"--sigs-needed", "-n"}, Arity: 1, Handle: func(name string, v []string) error {
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 0 {
				return args.Usagef("flag '%s' requires a non-negative integer, not '%s'", name, v[0])
			}
			o.SigsNeeded = n
			return nil
		}},
		args.Flag{Names: []string{"--recursive", "-r"}, Handle: set(&o.Recursive)},
		args.Flag{Names: []string{"--all"}, Handle: set(&o.All)},
	)
	p.Positional = func(arg string) error { o.Installables = append(o.Installables, arg); return nil }
	err := p.Parse(argv)
	return o, act, err
}

func mainStoreVerify(e *Env, program string, argv []string) int {
	o, act, err := parseStoreVerify(argv)
	status := 0
	code := legacyMain(e, program, "store verify", &o.Settings, act, err, storeVerifyHelp, func() error {
		s, err := runStoreVerify(e, o)
		status = s
		return err
	})
	if code != 0 {
		return code
	}
	return status
}

// runStoreVerify is nix store verify (src/nix/verify.cc): each path's
// NAR is hashed and compared with its registration (unless
// --no-contents), and it must be ultimately trusted (built here, when no
// -n is given), content-addressed, or carry -n (at least 1) good
// signatures by trusted-public-keys, counting those the -s stores have
// for it (unless --no-trust). The store may be a local store or a binary
// cache (--store file://…).
func runStoreVerify(e *Env, o *StoreVerifyOptions) (int, error) {
	ctx := e.Ctx()
	st, err := openCopyEnd(e, &o.Settings, o.StoreURL, false)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	keys, err := trustedKeysOf(&o.Settings)
	if err != nil {
		return 0, err
	}
	var subs []*copyEnd
	for _, u := range o.Substituters {
		s, err := openCopyEnd(e, &o.Settings, u, false)
		if err != nil {
			return 0, err
		}
		defer s.Close()
		subs = append(subs, s)
	}
	var paths []string
	switch {
	case o.All && st.local != nil:
		if paths, err = st.local.QueryAllValidPaths(ctx); err != nil {
			return 0, err
		}
	case o.All:
		return 0, fmt.Errorf("'--all' needs a local store; binary cache '%s' cannot list its paths", st.uri)
	default:
		if len(o.Installables) == 0 {
			return 0, args.Usagef("no installables given; pass store paths (or --all)")
		}
		for _, inst := range o.Installables {
			p, err := installableStorePath(e, st.storeDir(), inst)
			if err != nil {
				return 0, err
			}
			paths = append(paths, p)
		}
		if o.Recursive {
			if st.local != nil {
				paths, err = store.ComputeClosure(ctx, st.local, paths, false, false, false)
			} else {
				paths, err = st.cache.Closure(ctx, paths)
			}
			if err != nil {
				return 0, err
			}
		}
	}

	var (
		mu                           sync.Mutex
		corrupted, untrusted, failed int
	)
	say := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(e.Stderr, format+"\n", a...)
		mu.Unlock()
	}
	quiet := o.Verbosity < args.LevelInfo
	check := func(ctx context.Context, p string) error {
		info, dump, err := st.pathInfo(ctx, p)
		if err != nil {
			return err
		}
		if !quiet {
			say("checking '%s'...", p)
		}
		if !o.NoContents {
			h := sha256.New()
			if err := dump(ctx, h); err != nil {
				return err
			}
			got := hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}
			if !bytes.Equal(got.Digest, info.NarHash.Digest) {
				mu.Lock()
				corrupted++
				mu.Unlock()
				say("error: path '%s' was modified! expected hash '%s', got '%s'", p,
					info.NarHash.Encode(hash.Base32, true), got.Encode(hash.Base32, true))
			}
		}
		if o.NoTrust || (info.Ultimate && o.SigsNeeded == 0) {
			return nil
		}
		needed := max(o.SigsNeeded, 1)
		seen := map[string]bool{}
		valid := 0
		ni := binarycache.NarInfoFor(info)
		if ni.IsContentAddressed() {
			valid = narinfo.MaxSigs
		}
		count := func(sigs []string) {
			fp, err := ni.Fingerprint()
			if err != nil {
				return
			}
			for _, sig := range sigs {
				if seen[sig] {
					continue
				}
				seen[sig] = true
				if valid < narinfo.MaxSigs && narinfo.Verify(fp, sig, keys) {
					valid++
				}
			}
		}
		count(info.Sigs)
		for _, s := range subs {
			if valid >= needed {
				break
			}
			info2, _, err := s.pathInfo(ctx, p)
			if err != nil {
				continue // not there (Nix also only logs other errors)
			}
			if binarycache.NarInfoFor(info2).IsContentAddressed() {
				valid = narinfo.MaxSigs
			}
			count(info2.Sigs)
		}
		if valid < needed {
			mu.Lock()
			untrusted++
			mu.Unlock()
			say("error: path '%s' is untrusted", p)
		}
		return nil
	}
	// Every path on its own, 8 at once: one failure stops no other.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := check(ctx, p); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				say("error: %v", err)
			}
		}()
	}
	wg.Wait()
	status := 0
	if corrupted > 0 {
		status |= 1
	}
	if untrusted > 0 {
		status |= 2
	}
	if failed > 0 {
		status |= 4
	}
	return status, ctx.Err()
}

// pathInfo is a path's metadata and a way to dump its NAR, from either
// kind of store.
func (c *copyEnd) pathInfo(ctx context.Context, p string) (*store.PathInfo, func(context.Context, io.Writer) error, error) {
	if c.local != nil {
		info, err := c.local.QueryPathInfo(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		return info, func(ctx context.Context, w io.Writer) error { return c.local.DumpPath(ctx, p, w) }, nil
	}
	ni, err := c.cache.QueryPathInfo(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	dump := func(ctx context.Context, w io.Writer) error {
		r, err := c.cache.NAR(ctx, ni)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return c.cache.PathInfo(ni), dump, nil
}

const storeVerifyHelp = `Usage: gonix store verify [flags] PATHS...
       gonix nix store verify ...

Verify store paths, as Nix 2.8's nix store verify: each path's NAR hash is
recomputed and compared with its registration, and the path must be
trusted: built locally, content-addressed, or signed by a key in
trusted-public-keys. The store (--store) may be a local store or a binary
cache (file://, http(s)://). Exit status: 1 if a path was modified, 2 if one
is untrusted, 4 if one could not be checked (bits combine).

Flags:
      --no-contents      do not check the contents
      --no-trust         do not check signatures
  -s, --substituter URL  count the signatures this store has for the paths too
  -n, --sigs-needed N    require N good signatures (even for local builds)
  -r, --recursive        verify the paths' closures
      --all              verify every valid path (local stores)
      --store STORE      the store to verify
`
