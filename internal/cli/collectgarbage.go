package cli

import (
	"bufio"
	"fmt"
	"path/filepath"

	"gonix/internal/cli/args"
	"gonix/internal/profile"
	"gonix/internal/store/gc"
)

// collectGarbageOptions is one nix-collect-garbage command line (Nix
// 2.8's src/nix-collect-garbage/nix-collect-garbage.cc).
type collectGarbageOptions struct {
	settings    args.Settings
	removeOld   bool
	deleteOlder string
	dryRun      bool
	maxFreed    uint64
	maxFreedSet bool
}

func parseCollectGarbage(argv []string) (*collectGarbageOptions, legacyAction, error) {
	o := &collectGarbageOptions{settings: args.NewSettings()}
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&o.settings, "nix-collect-garbage")...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"--delete-old", "-d"}, Legacy: true, Handle: func(string, []string) error {
			o.removeOld = true
			return nil
		}},
		args.Flag{Names: []string{"--delete-older-than"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.removeOld = true
			o.deleteOlder = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--dry-run"}, Legacy: true, Handle: func(string, []string) error {
			o.dryRun = true
			return nil
		}},
		args.Flag{Names: []string{"--max-freed"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			n, err := parseMaxFreed(v[0])
			if err != nil {
				return err
			}
			o.maxFreed, o.maxFreedSet = n, true
			return nil
		}},
	)
	err := p.Parse(argv)
	return o, act, err
}

const collectGarbageHelp = `Usage: nix-collect-garbage [OPTIONS]

Delete unreachable store paths (nix-store --gc), after deleting old profile
generations with -d.

  -d, --delete-old            delete all old generations of all profiles first
      --delete-older-than Nd  delete generations older than N days first
      --dry-run               print what would be deleted; do not collect garbage
      --max-freed BYTES       stop after freeing BYTES (suffixes K, M, G, T)

` + commonHelp

func mainCollectGarbage(e *Env, program string, argv []string) int {
	o, act, err := parseCollectGarbage(argv)
	return legacyMain(e, program, "nix-collect-garbage", &o.settings, act, err, collectGarbageHelp,
		func() error { return runCollectGarbage(e, o) })
}

func runCollectGarbage(e *Env, o *collectGarbageOptions) error {
	st, err := openLocalStore(e, &o.settings, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.removeOld {
		// Nix 2.8: old generations of every profile below the state
		// directory's profiles/ go first, reported on stderr (printInfo).
		out := bufio.NewWriter(e.Stderr)
		err := profile.DeleteOldGenerationsAll(e.Ctx(), filepath.Join(st.RealStateDir(), "profiles"), o.deleteOlder, o.dryRun, out)
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
	}
	if o.dryRun {
		return nil
	}
	opts := gcSettings(e, &o.settings)
	opts.Action = gc.DeleteDead
	opts.MaxFreed, opts.MaxFreedSet = o.maxFreed, o.maxFreedSet
	res, err := gc.Collect(e.Ctx(), st, opts)
	out := bufio.NewWriter(e.Stdout)
	printFreed(out, res)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing to stdout: %w", ferr)
	}
	return err
}
