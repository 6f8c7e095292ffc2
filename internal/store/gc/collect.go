package gc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// Action is what a collection does (Nix's GCOptions::GCAction).
type Action int

const (
	// DeleteDead deletes every dead path (`nix-store --gc`).
	DeleteDead Action = iota
	// ReturnLive only reports the live paths found (`--print-live`).
	ReturnLive
	// ReturnDead only reports the dead paths (`--print-dead`).
	ReturnDead
	// DeleteSpecific deletes the given paths if they are dead
	// (`nix-store --delete`).
	DeleteSpecific
)

// Options configure a collection.
type Options struct {
	Action Action
	// PathsToDelete are the paths of DeleteSpecific.
	PathsToDelete []string
	// IgnoreLiveness skips the permanent and runtime roots
	// (`--ignore-liveness`); temporary roots still count.
	IgnoreLiveness bool
	// MaxFreed stops deleting once more bytes were freed; 0 means no
	// limit (use MaxFreedSet for Nix's `--max-freed 0`).
	MaxFreed    uint64
	MaxFreedSet bool
	// KeepOutputs and KeepDerivations are the keep-outputs (default
	// false) and keep-derivations (default true) settings.
	KeepOutputs, KeepDerivations bool
	// Roots select the root search.
	Roots RootOptions
}

// Results are what a collection did: the paths deleted (or, for the
// Return actions, found live or dead) and the bytes freed.
type Results struct {
	Paths      []string
	BytesFreed uint64
}

// errLimit ends the store walk once MaxFreed is exceeded.
var errLimit = errors.New("garbage collector limit reached")

// collector is one run of Collect.
type collector struct {
	ctx   context.Context
	st    *local.Store
	opts  Options
	del   bool
	keepO bool
	keepD bool

	roots      map[string]bool
	tempHashes map[string]bool
	specific   map[string]bool
	alive      map[string]bool
	dead       map[string]bool
	referrers  map[string][]string
	// valid is the set of valid paths, read once (the collector holds the
	// GC lock; paths registered meanwhile are temp-rooted, hence alive).
	valid map[string]bool
	// pending are dead valid paths whose registrations are dropped
	// together, in one transaction, before their files are deleted.
	pending   []string
	batch     int
	results   Results
	resultSet map[string]bool
	maxFreed  uint64
}

// Collect runs the garbage collector (Nix 2.8's
// LocalStore::collectGarbage, spec/store.md §8.2) under an exclusive
// gc.lock.
func Collect(ctx context.Context, st *local.Store, opts Options) (*Results, error) {
	c := &collector{
		ctx: ctx, st: st, opts: opts,
		del:        opts.Action == DeleteDead || opts.Action == DeleteSpecific,
		keepO:      opts.KeepOutputs,
		keepD:      opts.KeepDerivations,
		roots:      map[string]bool{},
		tempHashes: map[string]bool{},
		specific:   map[string]bool{},
		alive:      map[string]bool{},
		dead:       map[string]bool{},
		referrers:  map[string][]string{},
		resultSet:  map[string]bool{},
		maxFreed:   math.MaxUint64,
	}
	if opts.MaxFreedSet || opts.MaxFreed > 0 {
		c.maxFreed = opts.MaxFreed
	}
	// With --ignore-liveness, keep-* would make --delete recurse into
	// outputs or derivers, so Nix turns them off.
	if opts.Action == DeleteSpecific && opts.IgnoreLiveness {
		c.keepO, c.keepD = false, false
	}
	for _, p := range opts.PathsToDelete {
		c.specific[p] = true
	}
	if c.del {
		os.Remove(st.RealStateDir() + "/db/reserved")
	}
	release, err := st.LockGC(ctx)
	if err != nil {
		return nil, err
	}
	defer release()

	c.opts.Roots.info("finding garbage collector roots...")
	// Temporary roots first: a process may hold one, make a permanent
	// root (a result link) while the permanent roots are being read, and
	// exit before its temporary roots would be read.
	temp := Roots{}
	if err := findTempRoots(ctx, st, &c.opts.Roots, temp); err != nil {
		return nil, err
	}
	for p := range temp {
		c.roots[p] = true
		c.tempHashes[hashPart(st.StoreDir(), p)] = true
	}
	roots := Roots{}
	if !opts.IgnoreLiveness {
		if err := findRootsNoTemp(ctx, st, &c.opts.Roots, roots); err != nil {
			return nil, err
		}
	}
	for p := range roots {
		c.roots[p] = true
	}

	all, err := st.QueryAllValidPaths(ctx)
	if err != nil {
		return nil, err
	}
	c.valid = make(map[string]bool, len(all))
	for _, p := range all {
		c.valid[p] = true
	}
	if c.referrers, err = st.ReferrersOfAll(ctx); err != nil {
		return nil, err
	}
	c.batch = 512
	if c.maxFreed != math.MaxUint64 {
		c.batch = 1 // stop exactly where Nix would
	}

	switch {
	case opts.Action == DeleteSpecific:
		for _, p := range opts.PathsToDelete {
			if err := c.deleteReferrersClosure(p); err != nil && !errors.Is(err, errLimit) {
				return &c.results, err
			}
			if !c.dead[p] {
				return &c.results, fmt.Errorf("Cannot delete path '%s' since it is still alive. To find out why, use: nix-store --query --roots", p)
			}
		}
	case c.maxFreed > 0:
		if c.del {
			c.opts.Roots.info("deleting garbage...")
		} else {
			c.opts.Roots.info("determining live/dead paths...")
		}
		if err := c.walkStore(); err != nil && !errors.Is(err, errLimit) {
			return &c.results, err
		}
	}

	if err := c.flushPending(); err != nil && !errors.Is(err, errLimit) {
		return &c.results, err
	}

	switch opts.Action {
	case ReturnLive:
		// Like Nix, the entries deleted on the way (names that are not
		// store paths) are reported too.
		for p := range c.alive {
			c.resultSet[p] = true
		}
		c.results.Paths = sortedKeys(c.resultSet)
		return &c.results, nil
	case ReturnDead:
		for p := range c.dead {
			c.resultSet[p] = true
		}
		c.results.Paths = sortedKeys(c.resultSet)
		return &c.results, nil
	}
	c.results.Paths = sortedKeys(c.resultSet)
	if err := c.deleteUnusedLinks(); err != nil {
		return &c.results, err
	}
	return &c.results, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hashPart(storeDir, p string) string {
	base := strings.TrimPrefix(p, storeDir+"/")
	if len(base) > storepath.HashLen {
		return base[:storepath.HashLen]
	}
	return base
}

// walkStore visits the store directory in readdir order: names that are
// not store paths are deleted at once, every store path gets the
// referrer-closure test.
func (c *collector) walkStore() error {
	real := c.st.RealStoreDir()
	d, err := os.Open(real)
	if err != nil {
		return fmt.Errorf("opening directory '%s': %w", real, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("reading directory '%s': %w", real, err)
	}
	for _, name := range names {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		if name == ".links" {
			continue
		}
		if _, _, err := storepath.ParseBaseName(name); err == nil {
			if err := c.deleteReferrersClosure(c.st.StoreDir() + "/" + name); err != nil {
				return err
			}
			continue
		}
		if liveTempName(name) {
			// gonix adds objects under .tmp-<kind>-<pid>-<n>; deleting
			// one a live process is still writing would fail its
			// addition (Nix 2.8 has no such names to protect).
			continue
		}
		if err := c.deleteFromStore(name); err != nil {
			return err
		}
	}
	return nil
}

// liveTempName reports whether name is a gonix temporary object of a
// process that is still running.
func liveTempName(name string) bool {
	if !strings.HasPrefix(name, ".tmp-") {
		return false
	}
	f := strings.Split(name[len(".tmp-"):], "-")
	if len(f) < 2 {
		return false
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil || pid <= 0 {
		return false
	}
	err = unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// deleteFromStore deletes one entry of the store directory and counts it.
// A valid path joins the batch whose registrations are dropped together
// before their files go; anything else is deleted at once.
func (c *collector) deleteFromStore(name string) error {
	p := c.st.StoreDir() + "/" + name
	c.opts.Roots.info("deleting '%s'", p)
	c.resultSet[p] = true
	if c.valid[p] {
		delete(c.valid, p)
		c.pending = append(c.pending, p)
		if len(c.pending) >= c.batch {
			return c.flushPending()
		}
		return nil
	}
	return c.removeFiles(p)
}

// flushPending drops the pending registrations in one transaction, then
// deletes their files.
func (c *collector) flushPending() error {
	batch := c.pending
	c.pending = nil
	if err := c.st.InvalidatePaths(c.ctx, batch); err != nil {
		return err
	}
	for _, p := range batch {
		if err := c.removeFiles(p); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) removeFiles(p string) error {
	freed, err := c.st.RemoveFiles(c.ctx, p)
	c.results.BytesFreed += freed
	if err != nil {
		return err
	}
	if c.results.BytesFreed > c.maxFreed {
		c.opts.Roots.info("deleted more than %d bytes; stopping", c.maxFreed)
		return errLimit
	}
	return nil
}

// deleteReferrersClosure visits everything that keeps start alive —
// referrers, with keep-derivations a derivation's outputs, with
// keep-outputs a path's derivers. If none of it is a root, all of it is
// garbage and is deleted referrers first; otherwise start and the
// closure of the root found are alive.
func (c *collector) deleteReferrersClosure(start string) error {
	visited := map[string]bool{start: true}
	todo := []string{start}
	enqueue := func(p string) {
		if !visited[p] {
			visited[p] = true
			todo = append(todo, p)
		}
	}
	for len(todo) > 0 {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		p := todo[0]
		todo = todo[1:]
		if c.alive[p] {
			c.alive[start] = true
			return nil
		}
		if c.dead[p] {
			continue
		}
		if c.roots[p] || c.tempHashes[hashPart(c.st.StoreDir(), p)] {
			return c.markAlive(start, p)
		}
		if c.opts.Action == DeleteSpecific && !c.specific[p] {
			return nil
		}
		if !c.valid[p] {
			continue
		}
		refs := c.referrers[p]
		for _, r := range refs {
			enqueue(r)
		}
		if c.keepD && strings.HasSuffix(p, ".drv") {
			outs, err := c.st.QueryDerivationOutputs(c.ctx, p)
			if err != nil {
				return err
			}
			for _, name := range sortedMapKeys(outs) {
				o := outs[name]
				if !c.valid[o] {
					continue
				}
				info, err := c.st.QueryPathInfo(c.ctx, o)
				if err != nil {
					return err
				}
				if info.Deriver == p {
					enqueue(o)
				}
			}
		}
		if c.keepO {
			derivers, err := c.st.QueryValidDerivers(c.ctx, p)
			if err != nil {
				return err
			}
			for _, d := range derivers {
				enqueue(d)
			}
		}
	}
	order, err := c.topoSort(visited)
	if err != nil {
		return err
	}
	for _, p := range order {
		if c.dead[p] {
			continue
		}
		c.dead[p] = true
		if c.del {
			if err := c.deleteFromStore(strings.TrimPrefix(p, c.st.StoreDir()+"/")); err != nil {
				return err
			}
			delete(c.referrers, p)
		}
	}
	return nil
}

func sortedMapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// markAlive marks start and p alive, with the closure of p (references,
// plus outputs with keep-outputs and derivers with keep-derivations).
func (c *collector) markAlive(start, p string) error {
	c.alive[p] = true
	c.alive[start] = true
	closure, err := store.ComputeClosure(c.ctx, c.st, []string{p}, false, c.keepO, c.keepD)
	if err != nil {
		if errors.Is(err, store.ErrNotValid) {
			return nil
		}
		return err
	}
	for _, q := range closure {
		c.alive[q] = true
	}
	return nil
}

// topoSort orders paths so that a path's referrers come before it (Nix's
// topoSortPaths: depth-first over references in sorted order, reversed
// post-order).
func (c *collector) topoSort(paths map[string]bool) ([]string, error) {
	items := sortedKeys(paths)
	var sorted []string
	visited := map[string]bool{}
	parents := map[string]bool{}
	var visit func(p, parent string) error
	visit = func(p, parent string) error {
		if parents[p] {
			return fmt.Errorf("cycle detected in the references of '%s' from '%s'", p, parent)
		}
		if visited[p] {
			return nil
		}
		visited[p] = true
		parents[p] = true
		var refs []string
		info, err := c.st.QueryPathInfo(c.ctx, p)
		if err == nil {
			refs = info.References
		} else if !errors.Is(err, store.ErrNotValid) {
			return err
		}
		for _, r := range refs {
			if r != p && paths[r] {
				if err := visit(r, p); err != nil {
					return err
				}
			}
		}
		sorted = append(sorted, p)
		delete(parents, p)
		return nil
	}
	for _, p := range items {
		if err := visit(p, ""); err != nil {
			return nil, err
		}
	}
	for i, j := 0, len(sorted)-1; i < j; i, j = i+1, j-1 {
		sorted[i], sorted[j] = sorted[j], sorted[i]
	}
	return sorted, nil
}

// deleteUnusedLinks removes .links entries nobody links to any more and
// reports what hard linking saves, as Nix does after deleting.
func (c *collector) deleteUnusedLinks() error {
	c.opts.Roots.info("deleting unused links...")
	dir := c.st.RealStoreDir() + "/.links"
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory '%s': %w", dir, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("reading directory '%s': %w", dir, err)
	}
	var actual, unshared int64
	for _, name := range names {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		p := dir + "/" + name
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return fmt.Errorf("getting status of '%s': %w", p, err)
		}
		if st.Nlink != 1 {
			actual += st.Size
			unshared += int64(st.Nlink-1) * st.Size
			continue
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("deleting '%s': %w", p, err)
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return fmt.Errorf("getting status of '%s': %w", dir, err)
	}
	overhead := st.Blocks * 512
	c.opts.Roots.info("note: currently hard linking saves %.2f MiB", float64(unshared-actual-overhead)/(1024*1024))
	return nil
}

// ShowBytes formats a byte count as Nix's showBytes does.
func ShowBytes(n uint64) string {
	return fmt.Sprintf("%.2f MiB", float64(n)/(1024*1024))
}
