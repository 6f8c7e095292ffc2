package cli

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/hash"
)

// verifyLogger prints a verification's messages as Nix's printError and
// printInfo do: the bare message on stderr, info lines only at the
// default verbosity or above.
type verifyLogger struct{ c *nixStoreCmd }

func (l verifyLogger) Error(msg string) { fmt.Fprintln(l.c.e.Stderr, msg) }

func (l verifyLogger) Info(msg string) {
	if l.c.settings.Verbosity >= args.LevelInfo {
		fmt.Fprintln(l.c.e.Stderr, msg)
	}
}

// opVerify is nix-store --verify [--check-contents] [--repair].
func (c *nixStoreCmd) opVerify() error {
	if len(c.opArgs) > 0 {
		return args.Usagef("no arguments expected")
	}
	var checkContents, repair bool
	for _, f := range c.opFlags {
		switch f {
		case "--check-contents":
			checkContents = true
		case "--repair":
			repair = true
		default:
			return args.Usagef("unknown flag '%s'", f)
		}
	}
	if repair {
		// Repairing means substituting or rebuilding paths, which gonix's
		// store cannot do yet; refuse rather than pretend.
		return fmt.Errorf("'nix-store --verify --repair' is not supported by gonix yet: run it without --repair to list the problems")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	bad, err := st.Verify(c.e.Ctx(), checkContents, verifyLogger{c})
	if err != nil {
		return err
	}
	if bad {
		fmt.Fprintln(c.e.Stderr, "warning: not all store errors were fixed")
		return exitStatus(1)
	}
	return nil
}

// opVerifyPath is nix-store --verify-path PATHS: recompute each path's NAR
// hash and compare it with the registered one.
func (c *nixStoreCmd) opVerifyPath() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("no flags expected")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()
	status := 0
	for _, a := range c.opArgs {
		p, err := c.followLinksToStorePath(a)
		if err != nil {
			return err
		}
		if c.settings.Verbosity >= args.LevelTalkative {
			fmt.Fprintf(c.e.Stderr, "checking path '%s'...\n", p)
		}
		info, err := st.QueryPathInfo(ctx, p)
		if err != nil {
			return err
		}
		h := sha256.New()
		if err := st.DumpPath(ctx, p, h); err != nil {
			return err
		}
		got := hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}
		if !got.Equal(info.NarHash) {
			fmt.Fprintf(c.e.Stderr, "path '%s' was modified! expected hash '%s', got '%s'\n",
				p, info.NarHash.Encode(hash.Base32, true), got.Encode(hash.Base32, true))
			status = 1
		}
	}
	return exitStatus(status)
}

// opCheckValidity is nix-store --check-validity [--print-invalid] PATHS.
func (c *nixStoreCmd) opCheckValidity() error {
	printInvalid := false
	for _, f := range c.opFlags {
		if f != "--print-invalid" {
			return args.Usagef("unknown flag '%s'", f)
		}
		printInvalid = true
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	for _, a := range c.opArgs {
		p, err := c.followLinksToStorePath(a)
		if err != nil {
			return err
		}
		ok, err := st.IsValidPath(c.e.Ctx(), p)
		if err != nil {
			return err
		}
		if !ok {
			if !printInvalid {
				return fmt.Errorf("path '%s' is not valid", p)
			}
			c.println(p)
		}
	}
	return nil
}

// opDumpDB is nix-store --dump-db [PATHS]: Nix's makeValidityRegistration
// with derivers and hashes, for the given paths or every valid path.
func (c *nixStoreCmd) opDumpDB() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()
	var paths []string
	if len(c.opArgs) > 0 {
		for _, a := range c.opArgs {
			p, err := c.followLinksToStorePath(a)
			if err != nil {
				return err
			}
			paths = append(paths, p)
		}
	} else if paths, err = st.QueryAllValidPaths(ctx); err != nil {
		return err
	}
	for _, p := range paths {
		info, err := st.QueryPathInfo(ctx, p)
		if err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(p + "\n")
		b.WriteString(info.NarHash.Encode(hash.Base16, false) + "\n")
		b.WriteString(strconv.FormatUint(info.NarSize, 10) + "\n")
		b.WriteString(info.Deriver + "\n")
		b.WriteString(strconv.Itoa(len(info.References)) + "\n")
		for _, r := range info.References {
			b.WriteString(r + "\n")
		}
		if _, err := io.WriteString(c.out, b.String()); err != nil {
			return err
		}
	}
	return nil
}
