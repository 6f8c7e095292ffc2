package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// nixStoreCmd is one nix-store invocation (Nix 2.8's
// src/nix-store/nix-store.cc): the operation, its own flags and arguments,
// and the store it works on.
type nixStoreCmd struct {
	e        *Env
	program  string
	settings args.Settings

	// op is the canonical name of the operation ("add", "query", ...).
	op string
	// opFlags are the flags Nix hands to the operation unparsed: every
	// argument starting with '-' that is neither a common flag nor one of
	// nix-store's own.
	opFlags []string
	opArgs  []string
	// gcRoot is --add-root (absolute), noOutput --no-output.
	gcRoot   string
	noOutput bool
	help     bool

	out *bufio.Writer
	st  *local.Store
}

// exitStatus ends a command with a status and no further message, like
// Nix's Exit exception.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// nixStoreOpName maps an operation flag to its operation, as
// main_nix_store's callback does; "" means arg is not an operation.
func nixStoreOpName(arg string) string {
	switch arg {
	case "--version":
		return "version"
	case "--realise", "--realize", "-r":
		return "realise"
	case "--add", "-A":
		return "add"
	case "--add-fixed":
		return "add-fixed"
	case "--print-fixed-path":
		return "print-fixed-path"
	case "--delete":
		return "delete"
	case "--query", "-q":
		return "query"
	case "--print-env":
		return "print-env"
	case "--read-log", "-l":
		return "read-log"
	case "--dump-db":
		return "dump-db"
	case "--load-db":
		return "load-db"
	case "--register-validity":
		return "register-validity"
	case "--check-validity":
		return "check-validity"
	case "--gc":
		return "gc"
	case "--dump":
		return "dump"
	case "--restore":
		return "restore"
	case "--export":
		return "export"
	case "--import":
		return "import"
	case "--init":
		return "init"
	case "--verify":
		return "verify"
	case "--verify-path":
		return "verify-path"
	case "--repair-path":
		return "repair-path"
	case "--optimise", "--optimize":
		return "optimise"
	case "--serve":
		return "serve"
	case "--generate-binary-cache-key":
		return "generate-binary-cache-key"
	}
	return ""
}

// legacyArg is main_nix_store's parseArg callback. rest holds the arguments
// after arg that it may consume (none for an argument after "--" or a
// positional one, as Nix's processArgs passes a one-element list); it
// returns how many it consumed.
func (c *nixStoreCmd) legacyArg(arg string, rest []string) (int, error) {
	old := c.op
	n := 0
	switch {
	case arg == "--help":
		c.help = true
		return 0, args.ErrStop
	case nixStoreOpName(arg) != "":
		c.op = nixStoreOpName(arg)
	case arg == "--add-root":
		if len(rest) == 0 {
			return 0, args.Usagef("'%s' requires an argument", arg)
		}
		c.gcRoot = c.absPath(rest[0])
		n = 1
	case arg == "--indirect":
	case arg == "--no-output":
		c.noOutput = true
	case arg != "" && arg[0] == '-':
		c.opFlags = append(c.opFlags, arg)
		switch arg {
		case "--max-freed", "--max-links", "--max-atime":
			if len(rest) == 0 {
				return 0, args.Usagef("'%s' requires an argument", arg)
			}
			c.opFlags = append(c.opFlags, rest[0])
			n = 1
		}
	default:
		c.opArgs = append(c.opArgs, arg)
	}
	if old != "" && old != c.op {
		return n, args.Usagef("only one operation may be specified")
	}
	return n, nil
}

// parse walks the command line with Nix 2.8's LegacyArgs grammar: compound
// short flags are expanded, registered (common) flags are tried first, and
// everything else goes to nix-store's callback, which keeps unknown flags
// for the operation instead of rejecting them.
func (c *nixStoreCmd) parse(argv []string) error {
	var p args.Parser
	p.Add(args.CommonFlags(&c.settings, "nix-store")...)
	if err := p.ParseOps(argv, false, c.legacyArg); err != nil {
		return err
	}
	if c.op == "" && !c.help {
		return args.Usagef("no operation specified")
	}
	return nil
}

// mainNixStore is the nix-store command.
func mainNixStore(e *Env, program string, argv []string) int {
	c := &nixStoreCmd{e: e, program: program, settings: args.NewSettings()}
	err := c.parse(argv)
	if status, done := finishParse(e, program, &c.settings, err); done && !c.help {
		return status
	}
	if c.help {
		fmt.Fprint(e.Stdout, nixStoreHelp)
		return 0
	}
	c.out = bufio.NewWriter(e.Stdout)
	err = c.run()
	if ferr := c.out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing to stdout: %w", ferr)
	}
	if c.st != nil {
		if cerr := c.st.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	return c.report(err)
}

// report prints err the way Nix's handleExceptions does and returns the
// exit status.
func (c *nixStoreCmd) report(err error) int {
	var usage *args.UsageError
	var st exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &st):
		return int(st)
	case errors.As(err, &usage):
		fmt.Fprintf(c.e.Stderr, "error: %s\nTry '%s --help' for more information.\n", usage.Msg, c.program)
	default:
		// The local store says "path '…' is not valid: path is not
		// valid" (its message, then the wrapped store.ErrNotValid); Nix
		// says it once.
		msg := strings.TrimSuffix(err.Error(), ": "+store.ErrNotValid.Error())
		fmt.Fprintf(c.e.Stderr, "error: %s\n", msg)
	}
	return 1
}

func (c *nixStoreCmd) run() error {
	switch c.op {
	case "version":
		printVersion(c.e, "nix-store")
		return nil
	case "add":
		return c.opAdd()
	case "add-fixed":
		return c.opAddFixed()
	case "print-fixed-path":
		return c.opPrintFixedPath()
	case "query":
		return c.opQuery()
	case "print-env":
		return c.opPrintEnv()
	case "dump":
		return c.opDump()
	case "restore":
		return c.opRestore()
	case "export":
		return c.opExport()
	case "import":
		return c.opImport()
	case "verify":
		return c.opVerify()
	case "verify-path":
		return c.opVerifyPath()
	case "check-validity":
		return c.opCheckValidity()
	case "dump-db":
		return c.opDumpDB()
	case "realise":
		return c.opRealise()
	case "generate-binary-cache-key":
		return c.opGenerateBinaryCacheKey()
	case "read-log":
		return c.opReadLog()
	case "gc":
		return c.opGC()
	case "delete":
		return c.opDelete()
	case "optimise":
		return c.opOptimise()
	case "init":
		if len(c.opFlags) > 0 {
			return args.Usagef("unknown flag")
		}
		if len(c.opArgs) > 0 {
			return args.Usagef("no arguments expected")
		}
		_, err := c.store()
		return err
	}
	return fmt.Errorf("'nix-store --%s' is not implemented in gonix yet", c.op)
}

// store opens the store the settings select, once.
func (c *nixStoreCmd) store() (*local.Store, error) {
	if c.st != nil {
		return c.st, nil
	}
	st, err := openLocalStore(c.e, &c.settings, c.settings.ReadOnlyMode)
	if err != nil {
		return nil, err
	}
	c.st = st
	return st, nil
}

// absPath is Nix's absPath: relative to the working directory, with "."
// and ".." collapsed but symlinks kept.
func (c *nixStoreCmd) absPath(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.e.Dir, p)
	}
	return filepath.Clean(p)
}

// isInStore is Nix's isInStore: strictly below the store directory.
func isInStoreDir(storeDir, p string) bool {
	return len(p) >= len(storeDir)+2 && strings.HasPrefix(p, storeDir) && p[len(storeDir)] == '/'
}

// followLinksToStorePath is Nix's Store::followLinksToStorePath: symlinks
// outside the store are followed until the path is in the store, then the
// store path containing it is returned (its validity is not checked).
func (c *nixStoreCmd) followLinksToStorePath(arg string) (string, error) {
	st, err := c.store()
	if err != nil {
		return "", err
	}
	dir := st.StoreDir()
	p := c.absPath(arg)
	for i := 0; !isInStoreDir(dir, p) && i < 1024; i++ {
		fi, err := os.Lstat(p)
		if err != nil {
			return "", fmt.Errorf("getting status of '%s': %s", p, errnoString(err))
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("reading symbolic link '%s': %s", p, errnoString(err))
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = filepath.Clean(target)
	}
	if !isInStoreDir(dir, p) {
		return "", fmt.Errorf("path '%s' is not in the Nix store", p)
	}
	sp, _, err := storepath.Split(dir, p)
	if err != nil {
		return "", err
	}
	return sp, nil
}

const nixStoreHelp = `Usage: nix-store OPERATION [FLAGS...] [ARGS...]

Manipulate or query the Nix store. Exactly one operation:

  -A, --add PATHS          copy PATHS into the store, print their store paths
      --add-fixed [--recursive] ALGO PATHS
                           add PATHS as fixed-output paths hashed with ALGO
      --print-fixed-path [--recursive] ALGO HASH NAME
                           print the path of a fixed-output path
  -q, --query [FLAGS] PATHS  query the store (default: --outputs); flags:
        --outputs, -R/--requisites [--include-outputs], --references,
        --referrers, --referrers-closure, -d/--deriver,
        -b/--binding NAME, --hash, --size, --tree, --graph, --graphml,
        --resolve, -u/--use-output, --roots
  -r, --realise [--dry-run] [--ignore-unknown] PATHS
                           build derivations (or check paths), print outputs
  -l, --read-log PATHS     print the build log of derivations or outputs
      --gc [--print-roots | --print-live | --print-dead] [--max-freed N]
                           delete unreachable paths
      --delete PATHS       delete paths nothing alive refers to
      --optimise           hard-link identical files through .links
      --generate-binary-cache-key NAME SECRETFILE PUBLICFILE
                           make an Ed25519 key pair for signing caches
      --print-env DRV      print a derivation's environment as shell code
      --dump PATH          write the NAR serialisation of PATH to stdout
      --restore PATH       unpack a NAR read from stdin at PATH
      --export PATHS       write PATHS as an export stream to stdout
      --import             import an export stream read from stdin
      --verify [--check-contents] [--repair]
                           check the consistency of the store
      --verify-path PATHS  check that PATHS have not been modified
      --check-validity [--print-invalid] PATHS
                           check that PATHS are valid
      --dump-db [PATHS]    print the registration of (all) valid paths
      --load-db            register the paths of a --dump-db read from stdin
      --init               create the store if it does not exist

Not implemented yet in gonix: --register-validity, --repair-path, --serve,
-q --force-realise, --realise --repair.

Flags of every operation:
      --add-root PATH      register results as GC roots at PATH
      --indirect           accepted for compatibility; no effect
      --no-output          do not print the results

` + commonHelp
