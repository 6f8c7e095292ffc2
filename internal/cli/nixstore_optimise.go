package cli

import (
	"fmt"

	"gonix/internal/cli/args"
)

// opOptimise is nix-store --optimise: hard-link identical files of the
// store through .links (spec/store.md §7.9) and print Nix 2.8's summary,
// "<X.XX> MiB freed by hard-linking <N> files".
func (c *nixStoreCmd) opOptimise() error {
	if len(c.opArgs) > 0 || len(c.opFlags) > 0 {
		return args.Usagef("no arguments expected")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	stats, err := st.Optimise(c.e.Ctx(), verifyLogger{c})
	if err != nil {
		return err
	}
	if c.settings.Verbosity >= args.LevelInfo {
		fmt.Fprintf(c.e.Stderr, "%.2f MiB freed by hard-linking %d files\n",
			float64(stats.BytesFreed)/(1024*1024), stats.FilesLinked)
	}
	return nil
}
