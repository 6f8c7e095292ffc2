package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonix/internal/cli/args"
	"gonix/internal/profile"
)

// nixEnvCmd is one nix-env invocation. The profile and generation
// operations, --install, --uninstall, --upgrade, --set-flag and --query
// are implemented.
type nixEnvCmd struct {
	e        *Env
	program  string
	settings args.Settings
	eval     args.EvalArgs

	op      string // the operation's long name without dashes, "" for none
	help    bool
	dryRun  bool
	profile string // -p, made absolute
	file    string // -f/--file
	opFlags []string
	opArgs  []string
}

// nixEnvOps maps an operation flag to its long name, as Nix 2.8's
// main_nix_env recognises them.
var nixEnvOps = map[string]string{
	"--version": "version",
	"--install": "install", "-i": "install",
	"--uninstall": "uninstall", "-e": "uninstall",
	"--upgrade": "upgrade", "-u": "upgrade",
	"--set-flag": "set-flag",
	"--set":      "set",
	"--query":    "query", "-q": "query",
	"--switch-profile": "switch-profile", "-S": "switch-profile",
	"--switch-generation": "switch-generation", "-G": "switch-generation",
	"--rollback":           "rollback",
	"--list-generations":   "list-generations",
	"--delete-generations": "delete-generations",
}

// legacyArg is nix-env's own argument callback; it returns how many of
// rest it consumed.
func (c *nixEnvCmd) legacyArg(arg string, rest []string) (int, error) {
	old := c.op
	n := 0
	need := func() (string, error) {
		if len(rest) == 0 {
			return "", args.Usagef("'%s' requires an argument", arg)
		}
		n = 1
		return rest[0], nil
	}
	switch {
	case arg == "--help":
		c.help = true
		return 0, args.ErrStop
	case nixEnvOps[arg] != "":
		c.op = nixEnvOps[arg]
	case arg == "--profile" || arg == "-p":
		v, err := need()
		if err != nil {
			return 0, err
		}
		c.profile = absPathIn(c.e.Dir, v)
	case arg == "--file" || arg == "-f":
		v, err := need()
		if err != nil {
			return 0, err
		}
		c.file = v
	case arg == "--force-name" || arg == "--system-filter":
		if _, err := need(); err != nil {
			return 0, err
		}
	case arg == "--dry-run":
		fmt.Fprintln(c.e.Stderr, "(dry run; not doing anything)")
		c.dryRun = true
	case arg == "--prebuilt-only" || arg == "-b" || arg == "--repair":
	case arg != "" && arg[0] == '-':
		c.opFlags = append(c.opFlags, arg)
		if arg == "--from-profile" || (c.op == "query" && (arg == "--attr" || arg == "-A")) {
			v, err := need()
			if err != nil {
				return 0, err
			}
			c.opFlags = append(c.opFlags, v)
		}
	default:
		c.opArgs = append(c.opArgs, arg)
	}
	if old != "" && old != c.op {
		return 0, args.Usagef("only one operation may be specified")
	}
	return n, nil
}

func absPathIn(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func (c *nixEnvCmd) parse(argv []string) error {
	var p args.Parser
	p.Add(args.CommonFlags(&c.settings, "nix-env")...)
	p.Add(args.EvalFlags(&c.eval)...)
	if err := p.ParseOps(argv, true, c.legacyArg); err != nil {
		return err
	}
	if c.op == "" && !c.help {
		return args.Usagef("no operation specified")
	}
	return nil
}

// mainNixEnv is the nix-env command.
func mainNixEnv(e *Env, program string, argv []string) int {
	c := &nixEnvCmd{e: e, program: program, settings: args.NewSettings()}
	err := c.parse(argv)
	if status, done := finishParse(e, program, &c.settings, err); done && !c.help {
		return status
	}
	if c.help {
		fmt.Fprint(e.Stdout, nixEnvHelp)
		return 0
	}
	err = c.run()
	var usage *args.UsageError
	var pusage *profile.UsageError
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.status
	case errors.As(err, &usage):
		fmt.Fprintf(e.Stderr, "error: %s\nTry '%s --help' for more information.\n", usage.Msg, program)
	case errors.As(err, &pusage):
		fmt.Fprintf(e.Stderr, "error: %s\nTry '%s --help' for more information.\n", pusage.Msg, program)
	default:
		logError(e.Stderr, err.Error())
	}
	return 1
}

func (c *nixEnvCmd) run() error {
	switch c.op {
	case "version":
		printVersion(c.e, "nix-env")
		return nil
	case "set", "switch-generation", "rollback", "list-generations", "delete-generations", "switch-profile",
		"install", "uninstall", "query", "upgrade", "set-flag":
	default:
		return fmt.Errorf("'nix-env --%s' is not implemented in gonix yet", c.op)
	}
	loc, err := resolveStore(c.e, &c.settings)
	if err != nil {
		return err
	}
	c.makeDefExpr(loc)
	if c.profile == "" {
		c.profile = c.e.Getenv("NIX_PROFILE")
	}
	if c.profile == "" {
		c.profile = c.defaultProfile(loc)
		// Nix's store creates the per-user profile directory when it
		// opens; gonix's does not, so the default profile's is made here.
		if err := os.MkdirAll(filepath.Dir(c.profile), 0o755); err != nil && c.op == "set" {
			return fmt.Errorf("creating the profile directory: %w", err)
		}
	}
	switch c.op {
	case "install":
		return c.opInstall()
	case "uninstall":
		return c.opUninstall()
	case "query":
		return c.opQuery()
	case "upgrade":
		return c.opUpgrade()
	case "set-flag":
		return c.opSetFlag()
	}
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag '%s'", c.opFlags[0])
	}
	ctx := c.e.Ctx()
	switch c.op {
	case "set":
		return c.opSet(loc)
	case "switch-generation":
		if len(c.opArgs) != 1 {
			return args.Usagef("exactly one argument expected")
		}
		n, ok := parseGenNumber(c.opArgs[0])
		if !ok {
			return args.Usagef("expected a generation number")
		}
		return profile.SwitchGeneration(ctx, c.profile, n, c.dryRun, c.e.Stderr)
	case "switch-profile":
		if len(c.opArgs) != 1 {
			return args.Usagef("exactly one argument expected")
		}
		return profile.SwitchLink(filepath.Join(c.e.Getenv("HOME"), ".nix-profile"), absPathIn(c.e.Dir, c.opArgs[0]))
	case "rollback":
		if len(c.opArgs) != 0 {
			return args.Usagef("no arguments expected")
		}
		return profile.Rollback(ctx, c.profile, c.dryRun, c.e.Stderr)
	case "list-generations":
		if len(c.opArgs) != 0 {
			return args.Usagef("no arguments expected")
		}
		return c.opListGenerations()
	}
	return c.opDeleteGenerations()
}

// parseGenNumber parses a generation number (Nix: an unsigned int).
func parseGenNumber(s string) (uint64, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return n, err == nil
}

func (c *nixEnvCmd) opListGenerations() error {
	unlock, err := profile.Lock(c.e.Ctx(), c.profile)
	if err != nil {
		return err
	}
	defer unlock()
	gens, err := profile.Generations(c.profile)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(c.e.Stdout)
	for _, g := range gens {
		cur := ""
		if g.Current {
			cur = "(current)"
		}
		// Nix's format: "%|4|   %|4|-%|02|-%|02| %|02|:%|02|:%|02|   %||",
		// local time, three trailing spaces on non-current lines.
		fmt.Fprintf(w, "%4d   %s   %s\n", g.Number, g.CreationTime.Local().Format(time.DateTime), cur)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing to stdout: %w", err)
	}
	return nil
}

func (c *nixEnvCmd) opDeleteGenerations() error {
	ctx, a := c.e.Ctx(), c.opArgs
	switch {
	case len(a) == 1 && a[0] == "old":
		return profile.DeleteOldGenerations(ctx, c.profile, c.dryRun, c.e.Stderr)
	case len(a) == 1 && strings.Contains(a[0], "d"):
		return profile.DeleteGenerationsOlderThan(ctx, c.profile, a[0], c.dryRun, c.e.Stderr)
	case len(a) == 1 && strings.Contains(a[0], "+"):
		if len(a[0]) < 2 {
			return fmt.Errorf("invalid number of generations '%s'", a[0])
		}
		n, ok := parseGenNumber(a[0][1:])
		if !ok || n == 0 {
			return fmt.Errorf("invalid number of generations to keep '%s'", a[0])
		}
		return profile.DeleteGenerationsGreaterThan(ctx, c.profile, n, c.dryRun, c.e.Stderr)
	}
	var nums []uint64
	for _, s := range a {
		n, ok := parseGenNumber(s)
		if !ok {
			return args.Usagef("invalid generation number '%s'", s)
		}
		nums = append(nums, n)
	}
	return profile.DeleteGenerations(ctx, c.profile, nums, c.dryRun, c.e.Stderr)
}

// opSet makes a store path the profile's new current generation (what
// nixos-rebuild runs). Store derivations are not built yet.
func (c *nixEnvCmd) opSet(loc storeLocation) error {
	if len(c.opArgs) != 1 {
		return errors.New("--set requires exactly one derivation")
	}
	st, err := openLocalStore(c.e, &c.settings, false)
	if err != nil {
		return err
	}
	defer st.Close()
	sp, err := followLinksToStorePath(absPathIn(c.e.Dir, c.opArgs[0]), st.StoreDir(), loc.root)
	if err != nil {
		return err
	}
	if strings.HasSuffix(sp, ".drv") {
		return fmt.Errorf("'nix-env --set' of a store derivation ('%s') is not implemented in gonix yet", sp)
	}
	valid, err := st.IsValidPath(c.e.Ctx(), sp)
	if err != nil {
		return err
	}
	if !valid {
		// Nix 2.8 tries to substitute it, finds no way and says so.
		fmt.Fprintf(c.e.Stderr, "don't know how to build these paths:\n  %s\n", sp)
		return fmt.Errorf("build of '%s' failed", sp)
	}
	if c.dryRun {
		return nil
	}
	_, err = profile.Set(c.e.Ctx(), c.profile, sp, st)
	return err
}

// followLinksToStorePath follows symlinks from p until it is inside the
// store, then cuts it to the store path (Nix's followLinksToStorePath).
// Links are read in the real file system; a link under a chroot root
// holding a logical store path is taken as it reads.
func followLinksToStorePath(p, storeDir, root string) (string, error) {
	inStore := func(q string) bool { return strings.HasPrefix(q, storeDir+"/") }
	for i := 0; i < 1024 && !inStore(p); i++ {
		t, err := os.Readlink(p)
		if err != nil {
			break
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
	}
	if root != "" && strings.HasPrefix(p, root+storeDir+"/") {
		p = strings.TrimPrefix(p, root)
	}
	if !inStore(p) {
		return "", fmt.Errorf("path '%s' is not in the Nix store", p)
	}
	rest := p[len(storeDir)+1:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return storeDir + "/" + rest, nil
}

func userName(e *Env) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return e.Getenv("USER")
}

// defaultProfile is Nix's getDefaultProfile: ~/.nix-profile, created
// pointing at the user's profile when missing. With a chroot store gonix
// uses the profile inside the chroot's state directory and leaves
// ~/.nix-profile alone (Nix 2.8 would use the host's /nix/var/nix).
func (c *nixEnvCmd) defaultProfile(loc storeLocation) string {
	name := "profiles/per-user/" + userName(c.e) + "/profile"
	if os.Getuid() == 0 {
		name = "profiles/default"
	}
	if loc.root != "" {
		return filepath.Join(loc.root, loc.stateDir, name)
	}
	link := filepath.Join(c.e.Getenv("HOME"), ".nix-profile")
	if _, err := os.Lstat(link); err != nil {
		if err := profile.SwitchLink(link, loc.stateDir+"/"+name); err != nil {
			return link
		}
	}
	t, err := os.Readlink(link)
	if err != nil {
		return link
	}
	return absPathIn(filepath.Dir(link), t)
}

// makeDefExpr creates ~/.nix-defexpr with its channel links when it does
// not exist, as every nix-env run does in Nix 2.8 (failures are ignored).
func (c *nixEnvCmd) makeDefExpr(loc storeLocation) {
	home := c.e.Getenv("HOME")
	if home == "" || loc.root != "" {
		return
	}
	dir := filepath.Join(home, ".nix-defexpr")
	if _, err := os.Lstat(dir); err == nil {
		return
	}
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	profile.SwitchLink(dir+"/channels", loc.stateDir+"/profiles/per-user/"+userName(c.e)+"/channels")
	if os.Getuid() != 0 {
		profile.SwitchLink(dir+"/channels_root", loc.stateDir+"/profiles/per-user/root/channels")
	}
}

const nixEnvHelp = `Usage: nix-env OPERATION [FLAGS...] [ARGS...]

Manage profiles and their generations (Nix 2.8's nix-env).

Operations implemented in gonix:
  --set PATH                  make the store path PATH the profile's new generation
  --list-generations          list the profile's generations
  --rollback                  switch to the previous generation
  --switch-generation, -G N   switch to generation N
  --switch-profile, -S P      point ~/.nix-profile at the profile P
  --delete-generations GENS   delete generations: numbers, "old", "Nd" (older
                              than N days) or "+N" (keep the last N)
  --install, -i ARGS          install store paths, or the derivations of -f FILE
                              (default ~/.nix-defexpr) named (or with -A, at
                              attribute paths)
  --uninstall, -e NAMES       remove packages from the profile
  --upgrade, -u [NAMES]       replace installed packages by newer
                              versions (--lt, --leq, --eq, --always)
  --set-flag NAME VALUE NAMES set a meta attribute (priority, active, keep)
  --query, -q                 list installed (or with -a, available) packages;
                              flags -P, --out-path, --drv-path, --system,
                              --no-name, --json, --meta
  --version

Flags:
  --profile, -p PROFILE       use PROFILE instead of ~/.nix-profile
  --dry-run                   say what would be done, do nothing

` + commonHelp
