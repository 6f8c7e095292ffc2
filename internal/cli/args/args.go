package args

import (
	"errors"
	"fmt"
)

// A Flag is one entry of a command's flag table.
//
// Nix 2.8 parses a classic command line in two layers (src/libutil/args.cc and
// src/libmain/shared.cc): flags registered with Args::addFlag (the common flags,
// the configuration settings, the evaluation flags) are looked up first; any other
// argument is offered to the command's own callback (LegacyArgs' parseArg). The
// layers differ in their error text for a missing argument and in whether the flag
// still works after "--", so each Flag says which layer it belongs to.
type Flag struct {
	// Names are the full spellings, dashes included: "--attr", "-A".
	Names []string
	// Arity is the number of arguments the flag consumes (0, 1 or 2).
	Arity int
	// Legacy marks a flag of the command's own callback rather than a
	// registered Args flag.
	Legacy bool
	// Handle receives the spelling that matched and the flag's arguments. It
	// may return a *UsageError, ErrStop, or any other error.
	Handle func(name string, vals []string) error
}

// SetTrue is a Handle that sets *b (a switch such as --dry-run).
func SetTrue(b *bool) func(string, []string) error {
	return func(string, []string) error { *b = true; return nil }
}

// AppendArg is a Handle that appends the flag's argument to *l (a
// repeatable one-argument flag such as -A).
func AppendArg(l *[]string) func(string, []string) error {
	return func(_ string, v []string) error { *l = append(*l, v[0]); return nil }
}

// ErrStop is returned by a Handle function (and passed on by Parse) when the
// flag ends the command line without an error, as --version and --help do.
var ErrStop = errors.New("args: stop")

// A UsageError is a command-line mistake. Nix prints it as "error: MSG" followed
// by "Try 'PROGRAM --help' for more information." and exits with status 1.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef builds a *UsageError.
func Usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// A Parser holds one command's flag table. Build one per invocation: the
// handlers write into that invocation's options.
type Parser struct {
	flags  map[string]*Flag
	legacy map[string]*Flag
	// Positional receives every argument that is not a flag, in order.
	// Without it, such an argument is an "unexpected argument" error.
	Positional func(arg string) error
}

// Add registers flags. A later flag with the same spelling replaces the earlier
// one, as a later Args::addFlag does in Nix (LegacyArgs re-registers --cores,
// --keep-failed, --store, ... after the generated setting flags).
func (p *Parser) Add(fs ...Flag) {
	if p.flags == nil {
		p.flags = make(map[string]*Flag)
		p.legacy = make(map[string]*Flag)
	}
	for i := range fs {
		f := &fs[i]
		m := p.flags
		if f.Legacy {
			m = p.legacy
		}
		for _, n := range f.Names {
			m[n] = f
		}
	}
}

// Lookup reports the flag registered under a spelling, registered flags first.
func (p *Parser) Lookup(name string) (*Flag, bool) {
	if f, ok := p.flags[name]; ok {
		return f, true
	}
	f, ok := p.legacy[name]
	return f, ok
}

// isAlpha is C's isalpha in the "C" locale, which Nix relies on.
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// Expand splits a compound short flag the way Nix 2.8's Args::parseCmdline does:
// an argument longer than two bytes that starts with '-' and a letter becomes
// one "-X" per leading letter, and the rest, from the first non-letter on, stays
// one argument: "-qaP" → "-q" "-a" "-P", "-j3" → "-j" "3", "-I/x" → "-I" "/x",
// but "-Ifoo" → "-I" "-f" "-o" "-o". Other arguments are returned alone.
func Expand(arg string) []string {
	if len(arg) <= 2 || arg[0] != '-' || !isAlpha(arg[1]) {
		return []string{arg}
	}
	out := []string{arg[:2]}
	for j := 2; j < len(arg); j++ {
		if !isAlpha(arg[j]) {
			return append(out, arg[j:])
		}
		out = append(out, "-"+arg[j:j+1])
	}
	return out
}

// Parse walks argv (without the program name). Handlers run in command-line
// order, so a flag before a bad one has already taken effect, as in Nix.
func (p *Parser) Parse(argv []string) error {
	dashDash := false
	for i := 0; i < len(argv); {
		arg := argv[i]
		if !dashDash {
			// Expansion only rewrites the argument under the cursor; the
			// arguments a flag consumes are taken verbatim.
			if parts := Expand(arg); len(parts) > 1 {
				rest := argv[i+1:]
				argv = append(append(append([]string{}, argv[:i]...), parts...), rest...)
				arg = argv[i]
			}
		}
		switch {
		case !dashDash && arg == "--":
			dashDash = true
			i++
		case !dashDash && len(arg) > 0 && arg[0] == '-':
			n, err := p.flag(arg, argv[i+1:])
			if err != nil {
				return err
			}
			i += 1 + n
		default:
			if err := p.positional(arg); err != nil {
				return err
			}
			i++
		}
	}
	return nil
}

// flag handles one flag argument and reports how many following arguments it
// consumed.
func (p *Parser) flag(arg string, rest []string) (int, error) {
	if f, ok := p.flags[arg]; ok {
		if len(rest) < f.Arity {
			return 0, Usagef("flag '%s' requires %d argument(s)", arg, f.Arity)
		}
		return f.Arity, f.Handle(arg, rest[:f.Arity])
	}
	if f, ok := p.legacy[arg]; ok {
		// Nix's getArg reports the first missing argument only.
		if len(rest) < f.Arity {
			return 0, Usagef("'%s' requires an argument", arg)
		}
		return f.Arity, f.Handle(arg, rest[:f.Arity])
	}
	return 0, Usagef("unrecognised flag '%s'", arg)
}

// positional handles a non-flag argument. Nix hands it to the command's callback
// on its own (LegacyArgs::processArgs), so the callback's flags still match after
// "--", but cannot see the argument that would follow.
func (p *Parser) positional(arg string) error {
	if f, ok := p.legacy[arg]; ok {
		if f.Arity > 0 {
			return Usagef("'%s' requires an argument", arg)
		}
		return f.Handle(arg, nil)
	}
	if len(arg) > 0 && arg[0] == '-' || p.Positional == nil {
		return Usagef("unexpected argument '%s'", arg)
	}
	return p.Positional(arg)
}

// ParseOps parses the command line of a classic command with operations
// (nix-store, nix-env): every flag p knows that is not Legacy is handled
// here; everything else — operation flags, their flags, arguments — goes
// to legacy in order, which returns how many of the following arguments it
// consumed. An argument that is not a flag is offered the rest of the line
// when restToPositional is set (nix-env), none otherwise (nix-store).
func (p *Parser) ParseOps(argv []string, restToPositional bool, legacy func(arg string, rest []string) (int, error)) error {
	argv = append([]string(nil), argv...)
	dashDash := false
	for i := 0; i < len(argv); {
		arg := argv[i]
		if !dashDash {
			if parts := Expand(arg); len(parts) > 1 {
				argv = append(append(append([]string{}, argv[:i]...), parts...), argv[i+1:]...)
				arg = argv[i]
			}
		}
		switch {
		case !dashDash && arg == "--":
			dashDash = true
			i++
		case !dashDash && arg != "" && arg[0] == '-':
			rest := argv[i+1:]
			if f, ok := p.Lookup(arg); ok && !f.Legacy {
				if len(rest) < f.Arity {
					return Usagef("flag '%s' requires %d argument(s)", arg, f.Arity)
				}
				if err := f.Handle(arg, rest[:f.Arity]); err != nil {
					return err
				}
				i += 1 + f.Arity
				continue
			}
			n, err := legacy(arg, rest)
			if err != nil {
				return err
			}
			i += 1 + n
		default:
			var rest []string
			if restToPositional {
				rest = argv[i+1:]
			}
			if _, err := legacy(arg, rest); err != nil {
				return err
			}
			i++
		}
	}
	return nil
}
