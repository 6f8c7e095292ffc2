package cli

import (
	"errors"
	"fmt"

	"gonix/internal/cli/args"
)

// legacyAction is what a classic command's own --help or --version asked for.
type legacyAction uint8

const (
	actionRun legacyAction = iota
	actionHelp
	actionVersion
)

// legacyFlags returns the --help and --version flags every classic command
// handles in its own callback (so they still work after "--").
func legacyFlags(act *legacyAction) []args.Flag {
	return []args.Flag{
		{Names: []string{"--help"}, Legacy: true, Handle: func(string, []string) error {
			*act = actionHelp
			return args.ErrStop
		}},
		{Names: []string{"--version"}, Legacy: true, Handle: func(string, []string) error {
			*act = actionVersion
			return args.ErrStop
		}},
	}
}

// finishParse reports the outcome of parsing a classic command line the way
// Nix's handleExceptions does, printing warnings first. It returns done=true
// with an exit status when the command must not go on.
func finishParse(e *Env, program string, s *args.Settings, err error) (status int, done bool) {
	for _, w := range s.Warnings {
		fmt.Fprintf(e.Stderr, "warning: %s\n", w)
	}
	var usage *args.UsageError
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, args.ErrStop):
		return 0, true
	case errors.As(err, &usage):
		fmt.Fprintf(e.Stderr, "error: %s\nTry '%s --help' for more information.\n", usage.Msg, program)
	default:
		logError(e.Stderr, err.Error())
	}
	return 1, true
}

// printVersion is Nix's printVersion at the default verbosity.
func printVersion(e *Env, program string) {
	fmt.Fprintf(e.Stdout, "%s (Nix) %s\n", program, NixVersion)
}

// commonHelp describes the flags every classic command accepts.
const commonHelp = `Common flags:
  -v, --verbose            more log output (repeatable); --quiet for less
      --debug              log everything down to debug messages
      --log-format FORMAT  raw, raw-with-logs, internal-json, bar or bar-with-logs
  -Q, --no-build-output    do not show build output
      --show-trace         show the evaluation stack of an error
      --option NAME VALUE  set a configuration setting (as in nix.conf);
                           every setting is also a flag: --NAME VALUE,
                           --extra-NAME VALUE, or --NAME / --no-NAME for booleans
  -j, --max-jobs N         run at most N builds at once ("auto": one per core)
      --cores N            CPU cores a build may use (0: all)
  -K, --keep-failed        keep the build directory of failed builds
  -k, --keep-going         go on building after a build failed
      --fallback           build from source when substitution fails
      --max-silent-time N  kill a build silent for N seconds
      --timeout N          kill a build running longer than N seconds
      --readonly-mode      never write to the store
      --no-gc-warning      do not warn about results without a GC root
      --store URL          use the store at URL (a directory: a chroot store)
      --help, --version
Short flags combine: -vvK is -v -v -K. "--" ends the flags.
`

// legacyMain finishes a classic command once its line is parsed: warnings
// and parse errors (finishParse), --help (help) and --version, then run,
// whose error is printed as Nix prints it — with the --help hint for a
// usage error — giving exit status 1.
func legacyMain(e *Env, program, name string, s *args.Settings, act legacyAction, parseErr error, help string, run func() error) int {
	if status, done := finishParse(e, program, s, parseErr); done && act == actionRun {
		return status
	}
	switch act {
	case actionHelp:
		fmt.Fprint(e.Stdout, help)
		return 0
	case actionVersion:
		printVersion(e, name)
		return 0
	}
	if err := run(); err != nil {
		var usage *args.UsageError
		if errors.As(err, &usage) {
			fmt.Fprintf(e.Stderr, "error: %s\nTry '%s --help' for more information.\n", usage.Msg, program)
		} else {
			logError(e.Stderr, err.Error())
		}
		return 1
	}
	return 0
}
