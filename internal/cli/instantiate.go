package cli

import (
	"fmt"

	"gonix/internal/cli/args"
)

// InstantiateOptions is a parsed nix-instantiate command line (Nix 2.8's
// src/nix-instantiate/nix-instantiate.cc plus LegacyArgs and MixEvalArgs).
type InstantiateOptions struct {
	// Settings are the common flags. ReadOnlyMode is already final: Nix
	// turns it on for --eval/--parse without --read-write-mode, and for
	// --dry-run.
	args.Settings
	// EvalArgs are --arg, --argstr, -I, --impure, --eval-store and
	// --override-flake.
	args.EvalArgs

	// Files are the positional arguments: file names (or <path> lookups, or
	// URLs), or expressions when Exprs is set. When there are none and
	// neither Exprs nor FromStdin is set, Files is {"./default.nix"}, as in
	// Nix. With FromStdin, standard input is evaluated before Files.
	Files []string
	// FromStdin is the argument "-": read an expression from standard input.
	FromStdin bool
	// Exprs is -E/--expr: Files hold expressions, not file names.
	Exprs bool
	// Eval is --eval/--eval-only: print values instead of writing
	// derivations. --parse sets it too.
	Eval bool
	// Parse is --parse/--parse-only: print the parsed expression.
	Parse bool
	// FindFile is --find-file: look Files up in the search path and print them.
	FindFile bool
	// Strict is --strict: evaluate the printed value deeply.
	Strict bool
	// JSON is --json and XML is --xml; the later flag wins, as in Nix.
	JSON bool
	XML  bool
	// NoLocation is --no-location: leave source positions out of --xml.
	NoLocation bool
	// ReadWriteMode is --read-write-mode: evaluate with store writes allowed.
	ReadWriteMode bool
	// AttrPaths are the -A/--attr arguments in order. Empty means the whole
	// value (Nix uses the single path "").
	AttrPaths []string
	// AddRoot is --add-root PATH: register the result as a GC root there.
	AddRoot string
	// Indirect is --indirect, which Nix 2.8 accepts and ignores.
	Indirect bool
	// DryRun is --dry-run (Nix 2.8 only turns on read-only mode).
	DryRun bool
	// Repair is --repair.
	Repair bool
}

// parseInstantiate parses nix-instantiate's arguments (without argv[0]).
func parseInstantiate(argv []string) (*InstantiateOptions, legacyAction, error) {
	o := &InstantiateOptions{Settings: args.NewSettings()}
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "nix-instantiate")...)
	p.Add(args.EvalFlags(&o.EvalArgs)...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"-"}, Legacy: true, Handle: args.SetTrue(&o.FromStdin)},
		args.Flag{Names: []string{"--expr", "-E"}, Legacy: true, Handle: args.SetTrue(&o.Exprs)},
		args.Flag{Names: []string{"--eval", "--eval-only"}, Legacy: true, Handle: args.SetTrue(&o.Eval)},
		args.Flag{Names: []string{"--read-write-mode"}, Legacy: true, Handle: args.SetTrue(&o.ReadWriteMode)},
		args.Flag{Names: []string{"--parse", "--parse-only"}, Legacy: true, Handle: func(string, []string) error {
			o.Parse, o.Eval = true, true
			return nil
		}},
		args.Flag{Names: []string{"--find-file"}, Legacy: true, Handle: args.SetTrue(&o.FindFile)},
		args.Flag{Names: []string{"--attr", "-A"}, Arity: 1, Legacy: true, Handle: args.AppendArg(&o.AttrPaths)},
		args.Flag{Names: []string{"--add-root"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			o.AddRoot = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--indirect"}, Legacy: true, Handle: args.SetTrue(&o.Indirect)},
		args.Flag{Names: []string{"--xml"}, Legacy: true, Handle: func(string, []string) error {
			o.XML, o.JSON = true, false
			return nil
		}},
		args.Flag{Names: []string{"--json"}, Legacy: true, Handle: func(string, []string) error {
			o.JSON, o.XML = true, false
			return nil
		}},
		args.Flag{Names: []string{"--no-location"}, Legacy: true, Handle: args.SetTrue(&o.NoLocation)},
		args.Flag{Names: []string{"--strict"}, Legacy: true, Handle: args.SetTrue(&o.Strict)},
		args.Flag{Names: []string{"--repair"}, Legacy: true, Handle: args.SetTrue(&o.Repair)},
		args.Flag{Names: []string{"--dry-run"}, Legacy: true, Handle: func(string, []string) error {
			o.DryRun, o.ReadOnlyMode = true, true
			return nil
		}},
	)
	p.Positional = func(arg string) error {
		o.Files = append(o.Files, arg)
		return nil
	}
	if err := p.Parse(argv); err != nil {
		return o, act, err
	}
	if o.Eval && !o.ReadWriteMode {
		o.ReadOnlyMode = true
	}
	if len(o.Files) == 0 && !o.Exprs && !o.FromStdin {
		o.Files = []string{"./default.nix"}
	}
	return o, act, nil
}

// mainInstantiate is the nix-instantiate command.
func mainInstantiate(e *Env, program string, argv []string) int {
	o, act, err := parseInstantiate(argv)
	if status, done := finishParse(e, program, &o.Settings, err); done && act == actionRun {
		return status
	}
	switch act {
	case actionHelp:
		fmt.Fprint(e.Stdout, instantiateHelp)
		return 0
	case actionVersion:
		printVersion(e, "nix-instantiate")
		return 0
	}
	return runInstantiate(e, o)
}

const instantiateHelp = `Usage: nix-instantiate [FLAGS...] [FILES...]
       nix-instantiate --eval [--strict] [--json | --xml] [FLAGS...] [FILES...]
       nix-instantiate --parse [FLAGS...] [FILES...]
       nix-instantiate --find-file FILES...

Evaluate the Nix expression in each FILE (default ./default.nix; "-" reads
standard input) and write the store derivations it describes, printing their
paths. A FILE may be a path, a <name> looked up in the search path, or a URL.

Flags:
  -E, --expr               the arguments are expressions, not file names
  -A, --attr PATH          select the attribute PATH (a.b.c) of the value;
                           repeatable
      --arg NAME EXPR      pass EXPR as argument NAME to a top-level function
      --argstr NAME STR    pass the string STR as argument NAME
  -I, --include PATH       add PATH (or NAME=PATH) to the search path of <...>
      --eval, --eval-only  print the value instead of writing derivations
      --strict             with --eval: evaluate the value completely
      --json, --xml        with --eval: print JSON or XML
      --no-location        with --xml: leave out source positions
      --parse, --parse-only  print the parsed expression
      --read-write-mode    with --eval: allow writes to the store
      --find-file          print where each FILE is found in the search path
      --add-root PATH      make PATH a GC root of each derivation written
      --indirect           accepted for compatibility; no effect
      --dry-run            do not write to the store
      --repair             repair paths found corrupt on the way
      --impure             allow impure evaluation
      --eval-store URL     write derivations to the store at URL

` + commonHelp
