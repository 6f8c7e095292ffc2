package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/build"
	"gonix/internal/cli/args"
)

// opRealise is nix-store --realise/-r: build the given derivations (or
// check that the given store paths are valid) and print the outputs,
// making GC roots with --add-root.
func (c *nixStoreCmd) opRealise() error {
	dryRun, ignoreUnknown, check := false, false, false
	for _, f := range c.opFlags {
		switch f {
		case "--dry-run":
			dryRun = true
		case "--ignore-unknown":
			ignoreUnknown = true
		case "--check":
			check = true
		case "--repair":
			return fmt.Errorf("'nix-store --realise %s' is not implemented in gonix yet", f)
		default:
			return args.Usagef("unknown flag '%s'", f)
		}
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	type target struct {
		path    string
		outputs []string
	}
	var targets []target
	var drvs, opaque []string
	for _, a := range c.opArgs {
		p, outs, _ := strings.Cut(a, "!")
		sp, err := c.followLinksToStorePath(p)
		if err != nil {
			return err
		}
		t := target{path: sp}
		if outs != "" {
			t.outputs = strings.Split(outs, ",")
		}
		if strings.HasSuffix(sp, ".drv") {
			drvs = append(drvs, sp)
		} else if ok, err := st.IsValidPath(c.e.Ctx(), sp); err != nil {
			return err
		} else if !ok {
			opaque = append(opaque, sp)
		}
		targets = append(targets, t)
	}
	sched, err := newScheduler(c.e, &c.settings, st)
	if err != nil {
		return err
	}
	sched.Check = check
	if ignoreUnknown && len(opaque) > 0 {
		// Only paths that can be substituted are kept.
		found, err := sched.Subst.Query(c.e.Ctx(), opaque)
		if err != nil {
			return err
		}
		kept := targets[:0]
		for _, t := range targets {
			if strings.HasSuffix(t.path, ".drv") || found[t.path] != nil || !slices.Contains(opaque, t.path) {
				kept = append(kept, t)
			}
		}
		targets = kept
		var o2 []string
		for _, p := range opaque {
			if found[p] != nil {
				o2 = append(o2, p)
			}
		}
		opaque = o2
	}
	c.out.Flush()
	if dryRun {
		err = sched.PlanPaths(c.e.Ctx(), drvs, opaque)
	} else {
		err = sched.RealisePaths(c.e.Ctx(), drvs, opaque)
	}
	if ev, ok := sched.Events.(*buildEvents); ok {
		ev.finish()
	}
	var unknown *build.UnknownPathsError
	if errors.As(err, &unknown) {
		// Nix's printMissing, then buildPaths fails on the first one.
		fmt.Fprintln(c.e.Stderr, "don't know how to build these paths:")
		for _, p := range unknown.Paths {
			fmt.Fprintf(c.e.Stderr, "  %s\n", p)
		}
		if dryRun {
			return nil
		}
		return err
	}
	if err != nil {
		var f *build.Failure
		if errors.As(err, &f) {
			return exitStatus(reportBuildFailure(c.e, sched, f))
		}
		return err
	}
	if dryRun {
		return nil
	}
	rootNr := 0
	warned := false
	root := func(p, suffix string) (string, error) {
		if c.gcRoot == "" {
			if !warned && !c.settings.NoGCWarning {
				warned = true
				c.out.Flush()
				fmt.Fprintln(c.e.Stderr, "warning: you did not specify '--add-root'; the result might be removed by the garbage collector")
			}
			return p, nil
		}
		name := c.gcRoot
		if rootNr > 1 {
			name += "-" + strconv.Itoa(rootNr)
		}
		return st.AddPermRoot(c.e.Ctx(), p, name+suffix)
	}
	for _, t := range targets {
		if !strings.HasSuffix(t.path, ".drv") {
			if ok, err := st.IsValidPath(c.e.Ctx(), t.path); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("path '%s' does not exist and cannot be created", t.path)
			}
			rootNr++
			r, err := root(t.path, "")
			if err != nil {
				return err
			}
			if !c.noOutput {
				c.println(r)
			}
			continue
		}
		outs, err := st.QueryDerivationOutputs(c.e.Ctx(), t.path)
		if err != nil {
			return err
		}
		rootNr++
		names := t.outputs
		if len(names) == 0 {
			drv, err := c.readDerivation(t.path)
			if err != nil {
				return err
			}
			names = drv.OutputNames()
		}
		// Nix collects them in a set: sorted, each once.
		var printed []string
		for _, o := range names {
			p, ok := outs[o]
			if !ok {
				return fmt.Errorf("derivation '%s' does not have an output named '%s'", t.path, o)
			}
			suffix := ""
			if o != "out" {
				suffix = "-" + o
			}
			r, err := root(p, suffix)
			if err != nil {
				return err
			}
			printed = append(printed, r)
		}
		sortStrings(printed)
		if !c.noOutput {
			for _, r := range printed {
				c.println(r)
			}
		}
	}
	return nil
}

// opReadLog is nix-store --read-log/-l: print the build log of each
// derivation (or of the derivation that produced each path).
func (c *nixStoreCmd) opReadLog() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	logDir := logDirOf(st)
	for _, a := range c.opArgs {
		p, err := c.followLinksToStorePath(a)
		if err != nil {
			return err
		}
		data, err := build.ReadLog(c.e.Ctx(), st, logDir, p)
		if err != nil {
			if errors.Is(err, build.ErrNoBuildLog) {
				return fmt.Errorf("build log of '%s' is not available", p)
			}
			return err
		}
		c.out.Write(data)
	}
	return nil
}
