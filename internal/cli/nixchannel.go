package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"gonix/internal/build"
	"gonix/internal/build/builtins"
	"gonix/internal/cli/args"
	"gonix/internal/filetransfer"
	"gonix/internal/format/hash"
	"gonix/internal/lazyre"
	"gonix/internal/profile"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// unpackChannelNix is Nix 2.8's src/nix-channel/unpack-channel.nix, the
// function nix-channel --update installs each channel with.
const unpackChannelNix = `{ name, channelName, src }:

derivation {
  builder = "builtin:unpack-channel";

  system = "builtin";

  inherit name channelName src;

  # No point in doing this remotely.
  preferLocalBuild = true;
}
`

var (
	channelURLRe   = lazyre.New(`^(file|http|https)://`)
	channelNameRe  = lazyre.New(`^[a-zA-Z0-9_][a-zA-Z0-9_\.-]*$`)
	channelVerRe   = lazyre.New(`(-\d.*)$`)
	channelTarball = lazyre.New(`\.tar\.(gz|bz2|xz)$`)
	commentLine    = lazyre.New(`^\s*#`)
)

// channelCmd is one nix-channel run.
type channelCmd struct {
	e        *Env
	program  string
	settings args.Settings
	list     string // ~/.nix-channels
	defExpr  string // ~/.nix-defexpr
	profile  string // the channels profile
	chroot   bool   // the store is a chroot store
}

// mainChannel is the nix-channel command.
func mainChannel(e *Env, program string, argv []string) int {
	c := &channelCmd{e: e, program: program, settings: args.NewSettings()}
	cmd := ""
	var rest []string
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&c.settings, "nix-channel")...)
	// Nix's nix-channel takes its operations and arguments in its own
	// callback: an unknown flag is an "unsupported argument".
	err := p.ParseOps(argv, false, func(arg string, _ []string) (int, error) {
		switch arg {
		case "--help":
			act = actionHelp
			return 0, args.ErrStop
		case "--version":
			act = actionVersion
			return 0, args.ErrStop
		case "--add", "--remove", "--list", "--update", "--rollback":
			cmd = arg
		default:
			if strings.HasPrefix(arg, "-") {
				return 0, args.Usagef("unsupported argument '%s'", arg)
			}
			rest = append(rest, arg)
		}
		return 0, nil
	})
	if status, done := finishParse(e, program, &c.settings, err); done && act == actionRun {
		return status
	}
	switch act {
	case actionHelp:
		fmt.Fprint(e.Stdout, channelHelp)
		return 0
	case actionVersion:
		printVersion(e, "nix-channel")
		return 0
	}
	if err := c.run(cmd, rest); err != nil {
		var ue *args.UsageError
		var f *build.Failure
		switch {
		case errors.As(err, &ue):
			fmt.Fprintf(e.Stderr, "error: %s\nTry '%s --help' for more information.\n", ue.Msg, program)
		case errors.As(err, &f):
		default:
			fmt.Fprintf(e.Stderr, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", "\n       "))
		}
		return 1
	}
	return 0
}

const channelHelp = `Usage: nix-channel {--add URL [NAME] | --remove NAME | --list | --update [NAMES...] | --rollback [GENERATION]}

Manage the channels of ~/.nix-channels (Nix 2.8's nix-channel):
  --add URL [NAME]      subscribe to the channel at URL (NAME: the URL's last
                        component without -stable/-unstable)
  --remove NAME         unsubscribe, and remove it from the channels profile
  --list                print NAME URL per channel
  --update [NAMES...]   download URL/nixexprs.tar.xz of each (or the named)
                        channel and install them all into the channels profile
                        (/nix/var/nix/profiles/per-user/$USER/channels), linked
                        from ~/.nix-defexpr/channels, so <NAME> and
                        nix-env -iA NAME.PKG find them
  --rollback [GEN]      switch the channels profile back one generation, or to GEN
A channel is published with 'gonix mkchannel' (see README).
`

func (c *channelCmd) run(cmd string, rest []string) error {
	home := c.e.Getenv("HOME")
	if home == "" {
		return errors.New("nix-channel: HOME is not set")
	}
	c.list = filepath.Join(home, ".nix-channels")
	c.defExpr = filepath.Join(home, ".nix-defexpr")
	loc, err := resolveStore(c.e, &c.settings)
	if err != nil {
		return err
	}
	c.profile = filepath.Join(loc.root, loc.stateDir, "profiles/per-user", userName(c.e), "channels")
	c.chroot = loc.root != ""
	switch cmd {
	case "":
		return args.Usagef("no command specified")
	case "--add":
		if len(rest) < 1 || len(rest) > 2 {
			return args.Usagef("'--add' requires one or two arguments")
		}
		url := rest[0]
		var name string
		if len(rest) == 2 {
			name = rest[1]
		} else {
			name = path.Base(url)
			name = strings.TrimSuffix(name, "-unstable")
			name = strings.TrimSuffix(name, "-stable")
		}
		return c.add(url, name)
	case "--remove":
		if len(rest) != 1 {
			return args.Usagef("'--remove' requires one argument")
		}
		return c.remove(rest[0])
	case "--list":
		if len(rest) != 0 {
			return args.Usagef("'--list' expects no arguments")
		}
		chans, err := c.read()
		if err != nil {
			return err
		}
		for _, n := range sortedKeys(chans) {
			fmt.Fprintf(c.e.Stdout, "%s %s\n", n, chans[n])
		}
		return nil
	case "--update":
		return c.update(rest)
	default: // --rollback
		if len(rest) > 1 {
			return args.Usagef("'--rollback' has at most one argument")
		}
		envArgs := []string{"--profile", c.profile}
		if len(rest) == 1 {
			envArgs = append(envArgs, "--switch-generation", rest[0])
		} else {
			envArgs = append(envArgs, "--rollback")
		}
		return c.nixEnv(envArgs, false)
	}
}

// read parses ~/.nix-channels: "URL [NAME]" per line, # comments, trailing
// slashes of URLs dropped, NAME defaulting to the URL's base name.
func (c *channelCmd) read() (map[string]string, error) {
	chans := map[string]string{}
	data, err := os.ReadFile(c.list)
	if errors.Is(err, os.ErrNotExist) {
		return chans, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading '%s': %w", c.list, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || commentLine().MatchString(line) {
			continue
		}
		split := strings.Fields(line)
		if len(split) == 0 {
			continue
		}
		url := strings.TrimRight(split[0], "/")
		name := path.Base(url)
		if len(split) > 1 {
			name = split[1]
		}
		chans[name] = url
	}
	return chans, nil
}

// write rewrites ~/.nix-channels as "URL NAME" lines in name order.
func (c *channelCmd) write(chans map[string]string) error {
	var sb strings.Builder
	for _, n := range sortedKeys(chans) {
		sb.WriteString(chans[n] + " " + n + "\n")
	}
	if err := os.WriteFile(c.list, []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("opening '%s' for writing: %s", c.list, errnoString(err))
	}
	return nil
}

func (c *channelCmd) add(url, name string) error {
	if !channelURLRe().MatchString(url) {
		return fmt.Errorf("invalid channel URL '%s'", url)
	}
	if !channelNameRe().MatchString(name) {
		return fmt.Errorf("invalid channel identifier '%s'", name)
	}
	chans, err := c.read()
	if err != nil {
		return err
	}
	chans[name] = url
	return c.write(chans)
}

func (c *channelCmd) remove(name string) error {
	chans, err := c.read()
	if err != nil {
		return err
	}
	delete(chans, name)
	if err := c.write(chans); err != nil {
		return err
	}
	return c.nixEnv([]string{"--profile", c.profile, "--uninstall", name}, true)
}

// commonArgs gives the settings of this run back as flags for the
// nix-env and nix-build runs nix-channel makes (Nix passes them through
// its configuration; gonix's commands take them from their arguments).
func (c *channelCmd) commonArgs() []string {
	var a []string
	if c.settings.StoreURL != "" {
		a = append(a, "--store", c.settings.StoreURL)
	}
	for _, o := range c.settings.Overrides {
		name := o.Name
		if o.Append {
			name = "extra-" + name
		}
		a = append(a, "--option", name, o.Value)
	}
	return a
}

// nixEnv runs gonix's nix-env in-process as Nix runs its nix-env binary;
// quietOut drops its standard output. With --quiet among envArgs, the
// informational lines of building (the plan, "building '…'...", "copying
// path") are dropped as Nix's nix-env drops them at that verbosity.
func (c *channelCmd) nixEnv(envArgs []string, quietOut bool) error {
	e := *c.e
	if quietOut {
		e.Stdout = io.Discard
	}
	for _, a := range envArgs {
		if a == "--quiet" {
			qw := &quietWriter{w: c.e.Stderr}
			defer qw.flush()
			e.Stderr = qw
		}
	}
	argv := append(c.commonArgs(), envArgs...)
	// Nix's store creates the per-user profile directory when it opens.
	if err := os.MkdirAll(filepath.Dir(c.profile), 0o755); err != nil {
		return fmt.Errorf("creating the profile directory: %w", err)
	}
	if status := mainNixEnv(&e, "nix-env", argv); status != 0 {
		// Nix runs the nix-env program and reports its failure so.
		fmt.Fprintf(c.e.Stderr, "error: program 'nix-env' failed with exit code %d\n", status)
		return &build.Failure{}
	}
	return nil
}

// update is 2.8's update(): every channel (those not named keep their
// current store path) is downloaded into the store, then all are installed
// together into the channels profile with unpack-channel.nix, and
// ~/.nix-defexpr/channels is pointed at the profile.
func (c *channelCmd) update(names []string) error {
	chans, err := c.read()
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	ls, err := openLocalStore(c.e, &c.settings, false)
	if err != nil {
		return err
	}
	defer ls.Close()
	tmp, err := os.MkdirTemp("", "nix-channel-")
	if err != nil {
		return fmt.Errorf("nix-channel: creating a temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	unpack := filepath.Join(tmp, "unpack-channel.nix")
	if err := os.WriteFile(unpack, []byte(unpackChannelNix), 0o644); err != nil {
		return fmt.Errorf("nix-channel: %w", err)
	}
	var exprs []string
	for _, name := range sortedKeys(chans) {
		url := chans[name]
		cname := name
		if m := channelVerRe().FindStringSubmatch(path.Base(url)); m != nil {
			cname += m[1]
		}
		if len(want) > 0 && !want[name] {
			// Not updated: keep the store path the profile has now.
			link, err := os.Readlink(filepath.Join(c.profile, name))
			if err != nil {
				return fmt.Errorf("reading the channels profile's link of '%s': %w", name, err)
			}
			exprs = append(exprs, fmt.Sprintf(`rec { name = %s; type = "derivation"; outputs = ["out"]; system = "builtin"; outPath = builtins.storePath %s; out = { inherit outPath; }; }`,
				nixQuote(cname), nixQuote(path.Dir(link))))
			continue
		}
		// Nix downloads the URL itself first and goes on from where its
		// redirects led (a channel URL usually redirects to a release).
		url = c.effectiveURL(url)
		var src string
		if channelTarball().MatchString(url) {
			src, err = c.download(ls, url, path.Base(url), tmp)
		} else {
			src, err = c.download(ls, url+"/nixexprs.tar.xz", "nixexprs.tar.xz", tmp)
			var fe *filetransfer.Error
			if errors.As(err, &fe) {
				src, err = c.download(ls, url+"/nixexprs.tar.bz2", "nixexprs.tar.bz2", tmp)
			}
		}
		if err != nil {
			return err
		}
		exprs = append(exprs, fmt.Sprintf(`f { name = %s; channelName = %s; src = builtins.storePath %s; }`,
			nixQuote(cname), nixQuote(name), nixQuote(src)))
	}
	// nix-env --from-expression in Nix; gonix writes the expressions as
	// the attributes of a file and installs them by attribute.
	var sb strings.Builder
	sb.WriteString("let f = import " + nixQuote(unpack) + "; in {\n")
	attrs := make([]string, len(exprs))
	for i, x := range exprs {
		attrs[i] = "c" + strconv.Itoa(i)
		fmt.Fprintf(&sb, "  %s = %s;\n", attrs[i], x)
	}
	sb.WriteString("}\n")
	file := filepath.Join(tmp, "channels.nix")
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("nix-channel: %w", err)
	}
	ls.Close()
	fmt.Fprintln(c.e.Stderr, "unpacking channels...")
	if err := os.MkdirAll(filepath.Dir(c.profile), 0o755); err != nil {
		return fmt.Errorf("creating the profile directory: %w", err)
	}
	envArgs := []string{"--profile", c.profile, "--file", file, "--install", "--remove-all"}
	if len(attrs) > 0 {
		envArgs = append(envArgs, "-A")
		envArgs = append(envArgs, attrs...)
	}
	envArgs = append(envArgs, "--quiet")
	if err := c.nixEnv(envArgs, true); err != nil {
		return err
	}
	// Make the channels appear in nix-env and <NAME>. Not for a chroot
	// store: its profile's links name /nix/store paths that the host's
	// /nix/store does not hold (nix-env leaves ~/.nix-defexpr alone then too).
	if c.chroot {
		return nil
	}
	if st, err := os.Lstat(c.defExpr); err == nil && st.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(c.defExpr); err != nil {
			return fmt.Errorf("unlinking %s: %w", c.defExpr, err)
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("getting status of %s: %w", c.defExpr, err)
	}
	if err := os.MkdirAll(c.defExpr, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", c.defExpr, err)
	}
	return profile.SwitchLink(filepath.Join(c.defExpr, "channels"), c.profile)
}

// effectiveURL is where an http(s) URL's redirects lead (trailing slashes
// dropped), or url itself when it does not redirect or cannot be reached
// (the tarball download that follows then reports the error).
func (c *channelCmd) effectiveURL(url string) string {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return url
	}
	client, closeClient := filetransfer.NewClient(nil)
	defer closeClient()
	req, err := http.NewRequestWithContext(c.e.Ctx(), http.MethodHead, url, nil)
	if err != nil {
		return url
	}
	resp, err := client.Do(req)
	if err != nil {
		return url
	}
	resp.Body.Close()
	if eff := resp.Request.URL.String(); eff != url {
		return strings.TrimRight(eff, "/")
	}
	return url
}

// download fetches url into the store as the flat sha256 fixed-output
// path NAME (Nix's downloadFile without its cache), returning the path.
func (c *channelCmd) download(ls *local.Store, url, name, tmp string) (string, error) {
	client, closeClient := filetransfer.NewClient(nil)
	defer closeClient()
	t := &filetransfer.Transfer{Client: client, Warn: func(msg string) { fmt.Fprintf(c.e.Stderr, "warning: %s\n", msg) }}
	dst := filepath.Join(tmp, "download")
	err := t.Get(c.e.Ctx(), url, func() (filetransfer.Sink, error) {
		f, err := os.Create(dst)
		if err != nil {
			return nil, err
		}
		return &channelSink{f: f}, nil
	})
	if err != nil {
		return "", err
	}
	p, err := ls.AddFixed(c.e.Ctx(), name, dst, store.Flat, hash.SHA256)
	if err != nil {
		return "", fmt.Errorf("adding '%s' to the store: %w", url, err)
	}
	if err := ls.Flush(c.e.Ctx()); err != nil {
		return "", err
	}
	return p, nil
}

type channelSink struct{ f *os.File }

func (s *channelSink) Write(p []byte) (int, error) { return s.f.Write(p) }
func (s *channelSink) Finish() error               { return s.f.Close() }
func (s *channelSink) Discard()                    { s.f.Close(); os.Truncate(s.f.Name(), 0) }

// nixQuote writes s as a Nix string literal.
func nixQuote(s string) string {
	var sb strings.Builder
	printNixString(&sb, s)
	return sb.String()
}

// unpackChannel runs builtin:unpack-channel for the scheduler.
func (d *dispatchRunner) unpackChannel(job *build.Job) error {
	env := job.EnvMap()
	real := job.RealOutput(job.Outputs["out"])
	if err := builtins.UnpackChannel(env, real, job.StoreDir, job.RealStoreDir); err != nil {
		fmt.Fprintf(job.Log, "error: %s\n", err)
		return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: 1}
	}
	return nil
}

// infoLine matches what Nix prints at the info level while building.
var infoLine = lazyre.New(`^(this derivation will be built:|these \d+ derivations will be built:|this path will be fetched|these \d+ paths will be fetched|  /|building '|copying path '|copying \d+ paths)`)

// quietWriter passes on whole lines that are not infoLines.
type quietWriter struct {
	w   io.Writer
	buf []byte
}

func (q *quietWriter) Write(p []byte) (int, error) {
	q.buf = append(q.buf, p...)
	for {
		i := strings.IndexByte(string(q.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := q.buf[:i+1]
		if !infoLine().Match(line) {
			if _, err := q.w.Write(line); err != nil {
				return 0, err
			}
		}
		q.buf = q.buf[i+1:]
	}
}

func (q *quietWriter) flush() {
	if len(q.buf) > 0 && !infoLine().Match(q.buf) {
		q.w.Write(q.buf)
	}
	q.buf = nil
}
