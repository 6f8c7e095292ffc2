package binarycache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"gonix/internal/format/narinfo"
)

// CopyOptions tune AddClosure.
type CopyOptions struct {
	// Jobs is how many paths are compressed and uploaded at once
	// (default 8); presence queries run 25 at once, as Nix's
	// http-connections.
	Jobs int
	// Progress, when set, is called after each path is copied (or found
	// present), with the path, whether it was copied, and the totals so far.
	Progress func(p Progress)
	// Start, when set, is told how many paths will be copied once the
	// presence queries are done (not called when none are missing).
	Start func(missing int)
}

// Progress is one step of AddClosure.
type Progress struct {
	Path     string
	Copied   bool // false: already in the cache
	Done     int  // paths finished, copied or present
	Total    int
	NarBytes uint64 // NAR bytes copied so far
}

// AddClosure copies paths, which must be closed under references in src
// (a closure, in any order), into the cache: first it asks which are
// already there (concurrently), then it adds the missing ones with up to
// Jobs uploads at a time, each path only after all its references are in
// the cache, so that the cache is valid at every moment, as `nix copy`
// keeps it. It returns the paths it copied.
func (c *Cache) AddClosure(ctx context.Context, src Source, paths []string, opts CopyOptions) ([]string, error) {
	if opts.Jobs <= 0 {
		opts.Jobs = 8
	}
	paths = append([]string(nil), paths...)
	sort.Strings(paths)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Presence, 25 queries at a time.
	present := make([]bool, len(paths))
	if err := forEach(ctx, len(paths), 25, func(i int) error {
		ok, err := c.Has(ctx, paths[i])
		present[i] = ok
		return err
	}); err != nil {
		return nil, err
	}

	var mu sync.Mutex
	done, narBytes := 0, uint64(0)
	report := func(p string, copied bool, size uint64) {
		if opts.Progress == nil {
			return
		}
		mu.Lock()
		done++
		narBytes += size
		pr := Progress{Path: p, Copied: copied, Done: done, Total: len(paths), NarBytes: narBytes}
		opts.Progress(pr)
		mu.Unlock()
	}
	var missing []string
	for i, p := range paths {
		if present[i] {
			report(p, false, 0)
			continue
		}
		missing = append(missing, p)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if opts.Start != nil {
		opts.Start(len(missing))
	}
	refs := func(ctx context.Context, p string) ([]string, error) {
		info, err := src.QueryPathInfo(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("copying '%s' to '%s': %w", p, c.URI(), err)
		}
		return info.References, nil
	}
	err := InOrder(ctx, missing, refs, opts.Jobs, func(ctx context.Context, p string) error {
		if err := c.AddPath(ctx, src, p, "", nil); err != nil {
			return err
		}
		if opts.Progress != nil {
			info, err := src.QueryPathInfo(ctx, p)
			if err != nil {
				return err
			}
			report(p, true, info.NarSize)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return missing, nil
}

// InOrder runs fn for every one of paths, at most jobs at once (default
// 8), each only after fn has succeeded for all its references that are
// among paths (refs says what a path refers to), as Nix's processGraph
// schedules copies. It stops at the first failure and returns it, not the
// cancellations that failure caused.
func InOrder(ctx context.Context, paths []string, refs func(ctx context.Context, p string) ([]string, error), jobs int, fn func(ctx context.Context, p string) error) error {
	if jobs <= 0 {
		jobs = 8
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	finished := make(map[string]chan struct{}, len(paths))
	for _, p := range paths {
		finished[p] = make(chan struct{})
	}
	sem := make(chan struct{}, jobs)
	errc := make(chan error, len(paths))
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				rs, err := refs(ctx, p)
				if err != nil {
					return err
				}
				for _, ref := range rs {
					if ch, ok := finished[ref]; ok && ref != p {
						select {
						case <-ch:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return ctx.Err()
				}
				defer func() { <-sem }()
				return fn(ctx, p)
			}()
			if err != nil {
				errc <- err
				cancel()
				return
			}
			close(finished[p])
		}()
	}
	wg.Wait()
	close(errc)
	var first error
	for err := range errc {
		if first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	return first
}

// forEach runs f(0..n-1) with at most jobs at once, stopping at the first
// error.
func forEach(ctx context.Context, n, jobs int, f func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, jobs)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// Closure returns the closure of paths as the cache's narinfos describe
// it, references before referrers; every path must be in the cache.
func (c *Cache) Closure(ctx context.Context, paths []string) ([]string, error) {
	infos, err := c.ClosureInfos(ctx, paths)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(infos))
	for i, ni := range infos {
		out[i] = ni.StorePath
	}
	return out, nil
}

// ClosureInfos is Closure with the narinfos. The narinfos of each
// level of references are fetched concurrently (25 at once, Nix's
// http-connections), so a deep closure costs one round trip per level,
// not per path.
func (c *Cache) ClosureInfos(ctx context.Context, paths []string) ([]*narinfo.NarInfo, error) {
	infos := map[string]*narinfo.NarInfo{}
	neededBy := map[string]string{}
	frontier := append([]string(nil), paths...)
	sort.Strings(frontier)
	for len(frontier) > 0 {
		got := make([]*narinfo.NarInfo, len(frontier))
		err := forEach(ctx, len(frontier), 25, func(i int) error {
			ni, err := c.QueryPathInfo(ctx, frontier[i])
			if err != nil {
				if from := neededBy[frontier[i]]; from != "" && errors.Is(err, ErrNotFound) {
					return fmt.Errorf("%w (needed by '%s')", err, from)
				}
				return err
			}
			got[i] = ni
			return nil
		})
		if err != nil {
			return nil, err
		}
		var next []string
		for _, ni := range got {
			infos[ni.StorePath] = ni
		}
		for _, ni := range got {
			for _, ref := range ni.References {
				full := c.storeDir + "/" + ref
				if _, ok := infos[full]; ok {
					continue
				}
				if _, ok := neededBy[full]; ok {
					continue
				}
				neededBy[full] = ni.StorePath
				next = append(next, full)
			}
		}
		sort.Strings(next)
		frontier = next
	}

	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []*narinfo.NarInfo
	var visit func(p, from string) error
	visit = func(p, from string) error {
		switch state[p] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("binary cache %s: reference cycle: '%s' refers back to '%s'", c.URI(), from, p)
		}
		state[p] = visiting
		ni := infos[p]
		for _, ref := range ni.References {
			if full := c.storeDir + "/" + ref; full != p {
				if err := visit(full, p); err != nil {
					return err
				}
			}
		}
		order = append(order, ni)
		state[p] = done
		return nil
	}
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	for _, p := range sorted {
		if err := visit(p, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}
