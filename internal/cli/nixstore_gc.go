package cli

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonix/internal/cli/args"
	"gonix/internal/store"
	"gonix/internal/store/gc"
)

// gcSettings reads keep-outputs (default false) and keep-derivations
// (default true) from the command line's settings.
func gcSettings(e *Env, settings *args.Settings) gc.Options {
	o := gc.Options{KeepDerivations: true}
	if v, ok := settings.Lookup("keep-outputs"); ok {
		o.KeepOutputs = v == "true"
	}
	if v, ok := settings.Lookup("keep-derivations"); ok {
		o.KeepDerivations = v == "true"
	}
	if settings.Verbosity >= args.LevelInfo {
		o.Roots.Info = func(msg string) { fmt.Fprintln(e.Stderr, msg) }
	}
	return o
}

// parseMaxFreed is Nix's getIntArg with a unit suffix (K, M, G, T),
// negative values clamped to 0 as opGC does.
func parseMaxFreed(s string) (uint64, error) {
	s, umult, err := args.SplitUnit(s)
	if err != nil {
		return 0, err
	}
	mult := int64(umult)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, args.Usagef("'%s' is not an integer", s)
	}
	if n <= 0 {
		return 0, nil
	}
	if n > math.MaxInt64/mult {
		return math.MaxUint64, nil
	}
	return uint64(n * mult), nil
}

// printFreed is Nix's PrintFreed: the summary line on stdout.
func printFreed(w interface{ WriteString(string) (int, error) }, r *gc.Results) {
	if r == nil {
		r = &gc.Results{}
	}
	w.WriteString(fmt.Sprintf("%d store paths deleted, %s freed\n", len(r.Paths), gc.ShowBytes(r.BytesFreed)))
}

// opGC is nix-store --gc.
func (c *nixStoreCmd) opGC() error {
	printRoots := false
	o := gcSettings(c.e, &c.settings)
	o.Action = gc.DeleteDead
	for i := 0; i < len(c.opFlags); i++ {
		switch f := c.opFlags[i]; f {
		case "--print-roots":
			printRoots = true
		case "--print-live":
			o.Action = gc.ReturnLive
		case "--print-dead":
			o.Action = gc.ReturnDead
		case "--max-freed":
			i++
			n, err := parseMaxFreed(c.opFlags[i])
			if err != nil {
				return err
			}
			o.MaxFreed, o.MaxFreedSet = n, true
		default:
			return args.Usagef("bad sub-operation '%s' in GC", f)
		}
	}
	if len(c.opArgs) > 0 {
		return args.Usagef("no arguments expected")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()
	if printRoots {
		roots, err := gc.FindRoots(ctx, st, o.Roots)
		if err != nil {
			return err
		}
		for _, r := range roots.Sorted() {
			c.println(r.Link + " -> " + r.Path)
		}
		return nil
	}
	res, err := gc.Collect(ctx, st, o)
	if o.Action == gc.DeleteDead {
		printFreed(c.out, res)
	} else if err == nil {
		for _, p := range res.Paths {
			c.println(p)
		}
	}
	return err
}

// opDelete is nix-store --delete: the given paths, if nothing keeps them
// alive.
func (c *nixStoreCmd) opDelete() error {
	o := gcSettings(c.e, &c.settings)
	o.Action = gc.DeleteSpecific
	for _, f := range c.opFlags {
		if f != "--ignore-liveness" {
			return args.Usagef("unknown flag '%s'", f)
		}
		o.IgnoreLiveness = true
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range c.opArgs {
		p, err := c.followLinksToStorePath(a)
		if err != nil {
			return err
		}
		if !seen[p] {
			seen[p] = true
			o.PathsToDelete = append(o.PathsToDelete, p)
		}
	}
	// Nix keeps them in a std::set: sorted.
	slices.Sort(o.PathsToDelete)
	res, err := gc.Collect(c.e.Ctx(), st, o)
	printFreed(c.out, res)
	return err
}

// queryRoots is nix-store -q --roots: the roots whose store path lies in
// the referrer closure of the arguments (and their error, so that
// opQuery can hand both over in one call).
func (c *nixStoreCmd) queryRoots(paths []string, err error) error {
	if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()
	o := gcSettings(c.e, &c.settings)
	referrers, err := store.ComputeClosure(ctx, st, paths, true, o.KeepOutputs, o.KeepDerivations)
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, p := range referrers {
		in[p] = true
	}
	roots, err := gc.FindRoots(ctx, st, o.Roots)
	if err != nil {
		return err
	}
	for _, r := range roots.Sorted() {
		if in[r.Path] {
			c.println(r.Link + " -> " + r.Path)
		}
	}
	return nil
}
