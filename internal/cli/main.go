package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"syscall"

	"gonix/internal/build/sandbox"
)

// Version is gonix's own version; NixVersion is the Nix release whose
// behaviour it follows, printed by the classic commands' --version.
const (
	Version    = "0.1.0"
	NixVersion = "2.8.0"
)

// A command is one entry of the multi-call table. A nil run means the command
// is known but not implemented yet.
type command struct {
	name    string
	summary string
	// run gets the program name for messages: argv[0] as typed when gonix
	// was started through a link (Nix prints "Try '/usr/bin/nix-build
	// --help'"), the command's name under "gonix COMMAND".
	run func(e *Env, program string, args []string) int
}

// commands is the table of names gonix answers to, both as argv[0] (a link
// named nix-build) and as its first argument (gonix nix-build).
var commands = [...]command{
	{name: "nix-instantiate", summary: "evaluate Nix expressions, write store derivations", run: mainInstantiate},
	{name: "nix-build", summary: "build the derivations of Nix expressions", run: mainBuild},
	{name: "nix-store", summary: "query and manipulate the Nix store", run: mainNixStore},
	{name: "nix-env", summary: "manage user environments (profiles)", run: mainNixEnv},
	{name: "nix-shell", summary: "start a shell in the build environment of a derivation", run: mainShell},
	{name: "nix-collect-garbage", summary: "delete unreachable store paths and old generations", run: mainCollectGarbage},
	{name: "nix-channel", summary: "manage channels", run: mainChannel},
	{name: "nix-hash", summary: "compute and convert hashes", run: mainNixHash},
	{name: "nix-copy-closure", summary: "copy a closure to or from another machine"},
	{name: "nix-daemon", summary: "serve the Nix store to other users"},
	{name: "nixos-rebuild", summary: "build and activate a NixOS configuration"},
	{name: "nixos-option", summary: "show the value of a NixOS option"},
	{name: "nixos-generate-config", summary: "write an initial NixOS configuration"},
	{name: "nixos-install", summary: "install NixOS on a mounted file system"},
	{name: "nix", summary: "the new-style nix command (copy, store sign so far)", run: mainNix},
	{name: "copy", summary: "copy closures between stores and binary caches (nix copy)", run: mainCopy},
	{name: "store", summary: "nix store subcommands (sign)", run: mainStore},
	{name: "mkchannel", summary: "publish a package collection as a channel with a signed binary cache", run: mainMkchannel},
	{name: "serve", summary: "serve the local store as an HTTP binary cache (as nix-serve)", run: mainServe},
}

func lookupCommand(name string) (*command, bool) {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i], true
		}
	}
	return nil, false
}

// Main runs gonix with the process's arguments and returns its exit status.
func Main(argv []string) int {
	// The build sandbox re-executes gonix as its namespaced child; that
	// run is no command and must not touch anything before it is set up.
	if len(argv) > 1 && argv[1] == sandbox.ChildArg {
		return sandbox.ChildMain(argv[2:])
	}
	if len(argv) > 1 && argv[1] == shellChildArg {
		return ShellChildMain(argv[2:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.Getwd()
	if err != nil {
		dir = ""
	}
	e := &Env{
		Context:   ctx,
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		Dir:       dir,
		Prefault:  os.Getenv("GONIX_PREFAULT") != "0",
	}
	stopProfile := tuneRuntime()
	defer stopProfile()
	return Run(e, argv)
}

// Run dispatches argv (argv[0] included) to a command. When the base name of
// argv[0] is a command's name, that command runs with argv[1:]; otherwise the
// first argument names the command.
func Run(e *Env, argv []string) (status int) {
	// A Go panic here is a bug in gonix, never the user's fault: say so
	// plainly instead of dumping a goroutine trace (GONIX_DEBUG=1 keeps it).
	if e.Getenv("GONIX_DEBUG") == "" {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(e.Stderr, "error: internal error in gonix: %v\n(this is a bug; please report it with the command that caused it)\n", r)
				status = 1
			}
		}()
	}
	self := "gonix"
	if len(argv) > 0 {
		self = path.Base(argv[0])
		if c, ok := lookupCommand(self); ok {
			return runCommand(e, c, argv[0], argv[1:])
		}
		argv = argv[1:]
	}
	if len(argv) == 0 {
		writeUsage(e.Stderr, self)
		return 1
	}
	switch argv[0] {
	case "--help", "-h", "help":
		writeUsage(e.Stdout, self)
		return 0
	case "--version":
		fmt.Fprintf(e.Stdout, "%s %s (compatible with Nix %s)\n", self, Version, NixVersion)
		return 0
	}
	c, ok := lookupCommand(argv[0])
	if !ok {
		fmt.Fprintf(e.Stderr, "error: unknown command '%s'\nTry '%s --help' for the list of commands.\n", argv[0], self)
		return 1
	}
	return runCommand(e, c, c.name, argv[1:])
}

func runCommand(e *Env, c *command, program string, args []string) int {
	if c.run == nil {
		fmt.Fprintf(e.Stderr, "error: 'gonix %s' is not implemented yet\n", c.name)
		return 1
	}
	return c.run(e, program, args)
}

func writeUsage(w io.Writer, self string) {
	fmt.Fprintf(w, "Usage: %s COMMAND [ARGS...]\n", self)
	fmt.Fprintf(w, "   or: COMMAND [ARGS...]   (through a link named COMMAND)\n\n")
	fmt.Fprintf(w, "gonix is Nix %s re-built in Go. Commands:\n\n", NixVersion)
	var later []string
	for _, c := range commands {
		if c.run == nil {
			later = append(later, c.name)
			continue
		}
		fmt.Fprintf(w, "  %-23s %s\n", c.name, c.summary)
	}
	if len(later) > 0 {
		fmt.Fprintf(w, "\nNot implemented yet:\n\n")
		for _, name := range later {
			c, _ := lookupCommand(name)
			fmt.Fprintf(w, "  %-23s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags.\n", self)
}
