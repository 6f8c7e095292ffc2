package subst

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"gonix/internal/format/narinfo"
	"gonix/internal/store/binarycache"
	"gonix/internal/store/local"
)

// Cache is one substituter: a binary cache reached over file:// or
// http(s):// (binarycache.Cache implements it).
type Cache interface {
	URI() string
	StoreDir() string
	Priority() int
	// QueryPathInfo returns the narinfo of a path; a path the cache does
	// not hold is an error wrapping binarycache.ErrNotFound.
	QueryPathInfo(ctx context.Context, storePath string) (*narinfo.NarInfo, error)
	// PrepareNAR downloads the NAR of ni into a temporary object of st,
	// checked against ni (binarycache.Cache.PrepareNAR).
	PrepareNAR(ctx context.Context, st *local.Store, ni *narinfo.NarInfo) (*local.PreparedNAR, error)
}

var _ Cache = (*binarycache.Cache)(nil)

// ErrNoSubstituters is wrapped by Fetch's error when no substituter
// could provide a path without anything having gone wrong (none has it,
// or none has it with a trusted signature): Nix's ecNoSubstituters, after
// which a derivation is simply built.
var ErrNoSubstituters = errors.New("no substituter can provide the path")

// Found is a path some substituter can provide.
type Found struct {
	Info  *narinfo.NarInfo
	Cache Cache

	// signed: Info carries a signature by a trusted key, when sigsDone
	// (the queries check it as the narinfos arrive, concurrently, so
	// that Usable need not check a whole closure's one by one).
	sigsDone, signed bool
}

// DownloadSize is the compressed size (0 when the cache does not say).
func (f *Found) DownloadSize() uint64 { return f.Info.FileSize }

// Set is the ordered list of substituters of a command (the substituters
// setting, sorted by priority, lowest first, stable), with the signature
// policy. It remembers every answer for its lifetime.
type Set struct {
	caches      []Cache
	trusted     []narinfo.PublicKey
	requireSigs bool
	// fallback: errors while querying are reported through warn and the
	// substituter is skipped (Nix's tryFallback), instead of failing.
	fallback bool
	// jobs bounds concurrent narinfo queries (Nix: http-connections, 25).
	jobs int
	warn func(msg string)

	mu     sync.Mutex
	memo   map[string]*Found // path → first substituter's answer; nil: none has it
	usable map[string]*Found // path → Usable's answer
}

// Options configure a Set.
type Options struct {
	Trusted     []narinfo.PublicKey
	RequireSigs bool
	Fallback    bool
	// Jobs bounds concurrent queries; 0 means 25.
	Jobs int
	// Warn receives warnings and errors that do not stop the command
	// (a message without "warning: "/"error: " prefix is not added).
	Warn func(msg string)
}

// New returns a Set over caches, ordered by priority (stable).
func New(caches []Cache, o Options) *Set {
	cs := append([]Cache(nil), caches...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Priority() < cs[j].Priority() })
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = 25
	}
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	return &Set{caches: cs, trusted: o.Trusted, requireSigs: o.RequireSigs, fallback: o.Fallback, jobs: jobs, warn: warn, memo: map[string]*Found{}}
}

// Empty reports whether there is no substituter at all.
func (s *Set) Empty() bool { return s == nil || len(s.caches) == 0 }

// Caches returns the substituters in the order they are tried.
func (s *Set) Caches() []Cache { return s.caches }

// Query asks the substituters about paths, concurrently, and returns the
// ones some substituter holds (the first by priority that has it, as
// Nix's querySubstitutablePathInfos). Answers are remembered.
func (s *Set) Query(ctx context.Context, paths []string) (map[string]*Found, error) {
	out := map[string]*Found{}
	if s.Empty() {
		return out, nil
	}
	var todo []string
	s.mu.Lock()
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		if f, ok := s.memo[p]; ok {
			if f != nil {
				out[p] = f
			}
			continue
		}
		todo = append(todo, p)
	}
	s.mu.Unlock()
	if len(todo) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, s.jobs)
	)
	for _, p := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func(p string) {
			defer wg.Done()
			defer func() { <-sem }()
			f, err := s.queryOne(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			s.mu.Lock()
			s.memo[p] = f
			s.mu.Unlock()
			if f != nil {
				out[p] = f
			}
		}(p)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// queryOne asks each substituter in turn.
func (s *Set) queryOne(ctx context.Context, p string) (*Found, error) {
	for _, c := range s.caches {
		f, err := s.ask(ctx, c, p)
		if err != nil {
			if s.fallback && ctx.Err() == nil {
				s.warn("error: " + err.Error())
				continue
			}
			return nil, err
		}
		if f != nil {
			return f, nil
		}
	}
	return nil, nil
}

// ask queries one substituter: nil, nil when it does not have p.
func (s *Set) ask(ctx context.Context, c Cache, p string) (*Found, error) {
	if c.StoreDir() != storeDirOf(p) {
		return nil, nil
	}
	ni, err := c.QueryPathInfo(ctx, p)
	if errors.Is(err, binarycache.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f := &Found{Info: ni, Cache: c}
	if s.requireSigs {
		f.signed, f.sigsDone = s.trustedSig(ni), true
	}
	return f, nil
}

// trustedSig reports whether ni has a good signature by a trusted key.
func (s *Set) trustedSig(ni *narinfo.NarInfo) bool {
	n, err := ni.CheckSignatures(s.trusted)
	return err == nil && n >= 1
}

func storeDirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return ""
}

// References returns the full store paths a found path refers to (itself
// excluded).
func (f *Found) References() []string {
	dir := f.Cache.StoreDir()
	var refs []string
	for _, r := range f.Info.References {
		if full := dir + "/" + r; full != f.Info.StorePath {
			refs = append(refs, full)
		}
	}
	return refs
}

// Progress is told when a copy starts (Nix prints "copying path '…' from
// '…'..." then).
type Progress interface {
	Copying(path, from string)
}

// Usable returns the substitute of p that Fetch tries first: the first
// substituter's (in order) whose narinfo carries a trusted signature when
// signatures are required. Each one skipped for its signature gets Nix's
// warning, once. Nil when there is none.
func (s *Set) Usable(ctx context.Context, p string) (*Found, error) {
	s.mu.Lock()
	if s.usable == nil {
		s.usable = map[string]*Found{}
	}
	f, ok := s.usable[p]
	s.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := s.usableFrom(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.usable[p] = f
	s.mu.Unlock()
	return f, nil
}

// Rejected reports whether Usable found no usable substitute for p.
func (s *Set) Rejected(p string) bool {
	if s.Empty() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.usable[p]
	return ok && f == nil
}

// usableFrom is Usable over the substituters from index i on.
func (s *Set) usableFrom(ctx context.Context, p string, i int) (*Found, error) {
	for ; i < len(s.caches); i++ {
		c := s.caches[i]
		f, err := s.askMemo(ctx, c, p)
		if err != nil {
			if s.fallback && ctx.Err() == nil {
				s.warn("error: " + err.Error())
				continue
			}
			return nil, err
		}
		if f == nil {
			continue
		}
		if s.requireSigs {
			signed := f.signed
			if !f.sigsDone {
				signed = s.trustedSig(f.Info)
			}
			if !signed {
				s.warn(fmt.Sprintf("warning: the substitute for '%s' from '%s' is not signed by any of the keys in 'trusted-public-keys'", p, c.URI()))
				continue
			}
		}
		return f, nil
	}
	return nil, nil
}

// Fetch copies p into st. Its references must be valid already. The
// substituters are tried in order, as Nix's PathSubstitutionGoal::tryNext
// does: one without p, or whose narinfo lacks a trusted signature when
// signatures are required (a warning), is skipped; one whose copy fails
// (a corrupt or tampered NAR, a wrong NarHash, a network error) has its
// error printed and the next is tried. When all are exhausted the error
// wraps ErrNoSubstituters if none failed, so the caller may build instead;
// otherwise it is a *FetchError (Nix: "try '--fallback'").
func (s *Set) Fetch(ctx context.Context, st *local.Store, p string, prog Progress) error {
	pr, err := s.Prepare(ctx, st, p, prog)
	if err != nil || pr == nil {
		return err
	}
	return pr.Commit(ctx)
}

// Prepare is the first half of Fetch: it downloads, unpacks and checks p
// under a temporary name (trying the substituters as Fetch does), without
// needing p's references to be valid. Commit the result once they are
// (or Discard it). It returns nil, nil when p is valid already.
func (s *Set) Prepare(ctx context.Context, st *local.Store, p string, prog Progress) (*local.PreparedNAR, error) {
	if ok, err := st.IsValidPath(ctx, p); err != nil || ok {
		return nil, err
	}
	failed := false
	f, err := s.Usable(ctx, p)
	for err == nil && f != nil {
		if prog != nil {
			prog.Copying(p, f.Cache.URI())
		}
		pr, cerr := preparePath(ctx, st, f)
		if cerr == nil {
			return pr, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.warn("error: " + strings.ReplaceAll(cerr.Error(), "\n", "\n       "))
		failed = true
		f, err = s.usableFrom(ctx, p, slices.Index(s.caches, f.Cache)+1)
	}
	if err != nil {
		return nil, err
	}
	if failed {
		return nil, &FetchError{Path: p}
	}
	return nil, fmt.Errorf("path '%s' is required, but there is no substituter that can build it: %w", p, ErrNoSubstituters)
}

// FetchError is a path whose every substitute failed.
type FetchError struct{ Path string }

func (e *FetchError) Error() string {
	return fmt.Sprintf("substitution of path '%s' failed", e.Path)
}

// askMemo is ask, reusing Query's answer for the first substituter that
// had the path.
func (s *Set) askMemo(ctx context.Context, c Cache, p string) (*Found, error) {
	s.mu.Lock()
	f, ok := s.memo[p]
	s.mu.Unlock()
	if ok && f != nil && f.Cache == c {
		return f, nil
	}
	return s.ask(ctx, c, p)
}

// preparePath streams the NAR of f into a temporary object in st, which
// checks NarHash, NarSize and the content address. Its errors name the
// path (as Nix's "hash mismatch importing path '…'" does).
func preparePath(ctx context.Context, st *local.Store, f *Found) (*local.PreparedNAR, error) {
	return f.Cache.PrepareNAR(ctx, st, f.Info)
}
