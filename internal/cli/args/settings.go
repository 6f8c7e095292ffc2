package args

import (
	"errors"
	"strconv"
	"strings"
)

// Verbosity is Nix's logging level (src/libutil/logging.hh).
type Verbosity int

// Nix's verbosity levels, lowest first.
const (
	LevelError Verbosity = iota
	LevelWarn
	LevelNotice
	LevelInfo
	LevelTalkative
	LevelChatty
	LevelDebug
	LevelVomit
)

// An Override is one configuration setting given on the command line, by
// --option NAME VALUE or by a setting's own flag (--show-trace, --cores N,
// --extra-substituters URL, ...).
type Override struct {
	// Name is the setting's canonical name; aliases ("build-cores") and the
	// "extra-" prefix are resolved. A setting Nix does not know keeps its
	// name as given.
	Name string
	// Value is the text Nix's set() receives: "true"/"false" for boolean
	// flags, a plain decimal for --cores 2K.
	Value string
	// Append is true for "extra-NAME": Value adds to the setting's list.
	Append bool
}

// Settings are the flags every classic command accepts (Nix 2.8's
// MixCommonArgs and LegacyArgs), gathered for the command to consume.
type Settings struct {
	// Verbosity starts at LevelInfo; -v raises it, --quiet lowers it.
	Verbosity Verbosity
	// LogFormat is "" unless --log-format or -Q/--no-build-output chose one.
	LogFormat string
	// ReadOnlyMode is --readonly-mode (the command may set it too, as
	// nix-instantiate --eval does).
	ReadOnlyMode bool
	// NoGCWarning is --no-gc-warning.
	NoGCWarning bool
	// ShowTrace mirrors the show-trace setting however it was given.
	ShowTrace bool
	// StoreURL mirrors the store setting (--store URL, --option store URL).
	StoreURL string
	// Overrides lists every setting set on the command line, in order.
	Overrides []Override
	// Warnings are messages Nix prints as "warning: MSG" while parsing, for
	// example for an --option value that its setting rejects.
	Warnings []string
}

// NewSettings returns the defaults a classic command starts from.
func NewSettings() Settings {
	return Settings{Verbosity: LevelInfo}
}

// Lookup returns the value the command line gives a setting: the last plain
// assignment followed by any later appends, joined by spaces.
func (s *Settings) Lookup(name string) (string, bool) {
	var parts []string
	found := false
	for _, o := range s.Overrides {
		if o.Name != name {
			continue
		}
		if !o.Append {
			parts = parts[:0]
		}
		parts = append(parts, o.Value)
		found = true
	}
	return strings.Join(parts, " "), found
}

// set records a setting after checking its value like Nix's set() does.
func (s *Settings) set(name, value string, appendTo bool) error {
	c, extra, known := findSetting(name)
	if !known {
		// Nix keeps unknown settings aside silently (Config::set → unknownSettings).
		s.Overrides = append(s.Overrides, Override{Name: name, Value: value, Append: appendTo})
		return nil
	}
	warnings, err := c.check(value)
	if err != nil {
		return err
	}
	s.Warnings = append(s.Warnings, warnings...)
	s.Overrides = append(s.Overrides, Override{Name: c.name, Value: value, Append: appendTo || extra})
	switch c.name {
	case "show-trace":
		s.ShowTrace = value == "true" || value == "yes" || value == "1"
	case "store":
		s.StoreURL = value
	}
	return nil
}

// CommonFlags returns the flags of Nix 2.8's LegacyArgs for the program: the
// logging flags and --option of MixCommonArgs, one or more flags per
// configuration setting, then LegacyArgs' own (which replace some of the
// setting flags, so order matters: Add them in the order returned).
func CommonFlags(s *Settings, program string) []Flag {
	fs := []Flag{
		{Names: []string{"--verbose", "-v"}, Handle: func(string, []string) error {
			s.Verbosity++
			return nil
		}},
		{Names: []string{"--quiet"}, Handle: func(string, []string) error {
			if s.Verbosity > LevelError {
				s.Verbosity--
			}
			return nil
		}},
		{Names: []string{"--debug"}, Handle: func(string, []string) error {
			s.Verbosity = LevelDebug
			return nil
		}},
		{Names: []string{"--option"}, Arity: 2, Handle: func(_ string, v []string) error {
			// MixCommonArgs turns a rejected value into a warning that
			// repeats Nix's "error: " prefix.
			err := s.set(v[0], v[1], false)
			var u *UsageError
			if errors.As(err, &u) {
				s.Warnings = append(s.Warnings, "error: "+u.Msg)
				return nil
			}
			return err
		}},
		{Names: []string{"--log-format"}, Arity: 1, Handle: func(_ string, v []string) error {
			switch v[0] {
			case "raw", "raw-with-logs", "internal-json", "bar", "bar-with-logs":
				s.LogFormat = v[0]
				return nil
			}
			// A plain Error in Nix: no "Try --help" line.
			return &FatalError{Msg: "option 'log-format' has an invalid value '" + v[0] + "'"}
		}},
		{Names: []string{"--max-jobs", "-j"}, Arity: 1, Handle: func(_ string, v []string) error {
			return s.set("max-jobs", v[0], false)
		}},
	}
	fs = append(fs, settingFlags(s, program)...)
	setBool := func(name string) func(string, []string) error {
		return func(string, []string) error { return s.set(name, "true", false) }
	}
	unitSetting := func(name string) Flag {
		return Flag{Names: []string{"--" + name}, Arity: 1, Handle: func(_ string, v []string) error {
			n, err := parseIntWithUnitPrefix(v[0])
			if err != nil {
				return err
			}
			return s.set(name, strconv.FormatUint(n, 10), false)
		}}
	}
	fs = append(fs,
		Flag{Names: []string{"--no-build-output", "-Q"}, Handle: func(string, []string) error {
			s.LogFormat = "raw"
			return nil
		}},
		Flag{Names: []string{"--keep-failed", "-K"}, Handle: setBool("keep-failed")},
		Flag{Names: []string{"--keep-going", "-k"}, Handle: setBool("keep-going")},
		Flag{Names: []string{"--fallback"}, Handle: setBool("fallback")},
		unitSetting("cores"),
		unitSetting("max-silent-time"),
		unitSetting("timeout"),
		Flag{Names: []string{"--readonly-mode"}, Handle: func(string, []string) error {
			s.ReadOnlyMode = true
			return nil
		}},
		Flag{Names: []string{"--no-gc-warning"}, Handle: func(string, []string) error {
			s.NoGCWarning = true
			return nil
		}},
		Flag{Names: []string{"--store"}, Arity: 1, Handle: func(_ string, v []string) error {
			return s.set("store", v[0], false)
		}},
	)
	return fs
}

// settingFlags generates the flags of Config::convertToArgs.
func settingFlags(s *Settings, program string) []Flag {
	var fs []Flag
	for i := range configSettings {
		c := &configSettings[i]
		// Nix keeps nix-env's own --system flag (src/libmain/common-args.cc).
		if program == "nix-env" && c.name == "system" {
			continue
		}
		name := c.name
		value := func(v string) func(string, []string) error {
			return func(string, []string) error { return s.set(name, v, false) }
		}
		switch c.kind {
		case kindBool:
			fs = append(fs,
				Flag{Names: []string{"--" + name}, Handle: value("true")},
				Flag{Names: []string{"--no-" + name}, Handle: value("false")})
		case kindSandbox:
			fs = append(fs,
				Flag{Names: []string{"--" + name}, Handle: value("true")},
				Flag{Names: []string{"--no-" + name}, Handle: value("false")},
				Flag{Names: []string{"--relaxed-" + name}, Handle: value("relaxed")})
		default:
			fs = append(fs, Flag{Names: []string{"--" + name}, Arity: 1, Handle: func(_ string, v []string) error {
				return s.set(name, v[0], false)
			}})
			if c.appendable() {
				fs = append(fs, Flag{Names: []string{"--extra-" + name}, Arity: 1, Handle: func(_ string, v []string) error {
					return s.set(name, v[0], true)
				}})
			}
		}
	}
	return fs
}

// A FatalError is an error Nix reports without the "Try --help" hint.
type FatalError struct {
	Msg string
}

func (e *FatalError) Error() string { return e.Msg }
