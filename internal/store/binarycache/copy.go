package binarycache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
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
	finished := map[string]chan struct{}{}
	var missing []string
	for i, p := range paths {
		if present[i] {
			report(p, false, 0)
			continue
		}
		missing = append(missing, p)
		finished[p] = make(chan struct{})
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if opts.Start != nil {
		opts.Start(len(missing))
	}
	sem := make(chan struct{}, opts.Jobs)
	errc := make(chan error, len(missing))
	var wg sync.WaitGroup
	for _, p := range missing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				info, err := src.QueryPathInfo(ctx, p)
				if err != nil {
					return fmt.Errorf("copying '%s' to '%s': %w", p, c.URI(), err)
				}
				for _, ref := range info.References {
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
				if err := c.AddPath(ctx, src, p, "", nil); err != nil {
					return err
				}
				report(p, true, info.NarSize)
				return nil
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
	// The first error is the cause; the others are mostly cancellations.
	var first error
	for err := range errc {
		if first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return missing, nil
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
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []string
	var visit func(p, from string) error
	visit = func(p, from string) error {
		switch state[p] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("binary cache %s: reference cycle: '%s' refers back to '%s'", c.URI(), from, p)
		}
		state[p] = visiting
		ni, err := c.QueryPathInfo(ctx, p)
		if err != nil {
			if from != "" && errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w (needed by '%s')", err, from)
			}
			return err
		}
		for _, ref := range ni.References {
			if full := c.storeDir + "/" + ref; full != p {
				if err := visit(full, p); err != nil {
					return err
				}
			}
		}
		order = append(order, p)
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
