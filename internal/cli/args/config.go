package args

import (
	"strconv"
	"strings"
)

// settingKind is how a configuration setting parses its value and which flags
// it generates (BaseSetting<T>::convertToArg in src/libutil/config.cc).
type settingKind uint8

const (
	kindString   settingKind = iota // --NAME VALUE
	kindBool                        // --NAME, --no-NAME
	kindInt                         // --NAME N, a decimal integer
	kindUint                        // --NAME N, a non-negative decimal integer
	kindList                        // --NAME VALUE, --extra-NAME VALUE
	kindMap                         // like kindList; items are KEY=VALUE
	kindFeatures                    // like kindList; unknown names warn
	kindSandbox                     // --sandbox, --no-sandbox, --relaxed-sandbox
	kindMaxJobs                     // "auto" or an unsigned integer
	kindPath                        // --NAME PATH, absolute or empty (PathSetting)
)

// configSetting describes one of Nix 2.8's global configuration settings.
type configSetting struct {
	name    string
	kind    settingKind
	bits    int // integer width for kindInt/kindUint
	aliases []string
}

// configSettings lists every global setting of Nix 2.8 on Linux, as
// `nix show-config --json` reports them, with their C++ types from
// src/libstore/globals.hh, src/libexpr/eval.hh, src/libfetchers/fetch-settings.hh,
// src/libstore/filetransfer.cc, src/libutil/{logging,archive}.cc and
// src/nix/develop.cc. Each one is also a command-line flag.
var configSettings = [...]configSetting{
	{name: "accept-flake-config", kind: kindBool},
	{name: "access-tokens", kind: kindMap},
	{name: "allow-dirty", kind: kindBool},
	{name: "allow-import-from-derivation", kind: kindBool},
	{name: "allow-new-privileges", kind: kindBool},
	{name: "allow-symlinked-store", kind: kindBool},
	{name: "allow-unsafe-native-code-during-evaluation", kind: kindBool},
	{name: "allowed-impure-host-deps", kind: kindList},
	{name: "allowed-uris", kind: kindList},
	{name: "allowed-users", kind: kindList},
	{name: "auto-optimise-store", kind: kindBool},
	{name: "bash-prompt", kind: kindString},
	{name: "bash-prompt-suffix", kind: kindString},
	{name: "build-hook", kind: kindPath},
	{name: "build-poll-interval", kind: kindUint, bits: 32},
	{name: "build-users-group", kind: kindString},
	{name: "builders", kind: kindString},
	{name: "builders-use-substitutes", kind: kindBool},
	{name: "commit-lockfile-summary", kind: kindString},
	{name: "compress-build-log", kind: kindBool, aliases: []string{"build-compress-log"}},
	{name: "connect-timeout", kind: kindUint, bits: 64},
	{name: "cores", kind: kindUint, bits: 32, aliases: []string{"build-cores"}},
	{name: "diff-hook", kind: kindPath},
	{name: "download-attempts", kind: kindUint, bits: 32},
	{name: "enforce-determinism", kind: kindBool},
	{name: "eval-cache", kind: kindBool},
	{name: "experimental-features", kind: kindFeatures},
	{name: "extra-platforms", kind: kindList},
	{name: "fallback", kind: kindBool, aliases: []string{"build-fallback"}},
	{name: "filter-syscalls", kind: kindBool},
	{name: "flake-registry", kind: kindString},
	{name: "fsync-metadata", kind: kindBool},
	{name: "gc-reserved-space", kind: kindInt, bits: 64},
	{name: "hashed-mirrors", kind: kindList},
	{name: "http-connections", kind: kindUint, bits: 64, aliases: []string{"binary-caches-parallel-connections"}},
	{name: "http2", kind: kindBool},
	{name: "ignored-acls", kind: kindList},
	{name: "impersonate-linux-26", kind: kindBool, aliases: []string{"build-impersonate-linux-26"}},
	{name: "keep-build-log", kind: kindBool, aliases: []string{"build-keep-log"}},
	{name: "keep-derivations", kind: kindBool, aliases: []string{"gc-keep-derivations"}},
	{name: "keep-env-derivations", kind: kindBool, aliases: []string{"env-keep-derivations"}},
	{name: "keep-failed", kind: kindBool},
	{name: "keep-going", kind: kindBool},
	{name: "keep-outputs", kind: kindBool, aliases: []string{"gc-keep-outputs"}},
	{name: "log-lines", kind: kindUint, bits: 64},
	{name: "max-build-log-size", kind: kindUint, bits: 64, aliases: []string{"build-max-log-size"}},
	{name: "max-free", kind: kindUint, bits: 64},
	{name: "max-jobs", kind: kindMaxJobs, aliases: []string{"build-max-jobs"}},
	{name: "max-silent-time", kind: kindInt, bits: 64, aliases: []string{"build-max-silent-time"}},
	{name: "min-free", kind: kindUint, bits: 64},
	{name: "min-free-check-interval", kind: kindUint, bits: 64},
	{name: "nar-buffer-size", kind: kindUint, bits: 64},
	{name: "narinfo-cache-negative-ttl", kind: kindUint, bits: 32},
	{name: "narinfo-cache-positive-ttl", kind: kindUint, bits: 32},
	{name: "netrc-file", kind: kindString},
	{name: "nix-path", kind: kindList},
	{name: "plugin-files", kind: kindList},
	{name: "post-build-hook", kind: kindString},
	{name: "pre-build-hook", kind: kindString},
	{name: "preallocate-contents", kind: kindBool},
	{name: "print-missing", kind: kindBool},
	{name: "pure-eval", kind: kindBool},
	{name: "repeat", kind: kindUint, bits: 64, aliases: []string{"build-repeat"}},
	{name: "require-sigs", kind: kindBool},
	{name: "restrict-eval", kind: kindBool},
	{name: "run-diff-hook", kind: kindBool},
	{name: "sandbox", kind: kindSandbox, aliases: []string{"build-use-chroot", "build-use-sandbox"}},
	{name: "sandbox-build-dir", kind: kindString},
	{name: "sandbox-dev-shm-size", kind: kindString},
	{name: "sandbox-fallback", kind: kindBool},
	{name: "sandbox-paths", kind: kindList, aliases: []string{"build-chroot-dirs", "build-sandbox-paths"}},
	{name: "secret-key-files", kind: kindList},
	{name: "show-trace", kind: kindBool},
	{name: "stalled-download-timeout", kind: kindUint, bits: 32},
	{name: "store", kind: kindString},
	{name: "substitute", kind: kindBool, aliases: []string{"build-use-substitutes"}},
	{name: "substituters", kind: kindList, aliases: []string{"binary-caches"}},
	{name: "sync-before-registering", kind: kindBool},
	{name: "system", kind: kindString},
	{name: "system-features", kind: kindList},
	{name: "tarball-ttl", kind: kindUint, bits: 32},
	{name: "timeout", kind: kindInt, bits: 64, aliases: []string{"build-timeout"}},
	{name: "trace-function-calls", kind: kindBool},
	{name: "trusted-public-keys", kind: kindList, aliases: []string{"binary-cache-public-keys"}},
	{name: "trusted-substituters", kind: kindList, aliases: []string{"trusted-binary-caches"}},
	{name: "trusted-users", kind: kindList},
	{name: "use-case-hack", kind: kindBool},
	{name: "use-registries", kind: kindBool},
	{name: "use-sqlite-wal", kind: kindBool},
	{name: "user-agent-suffix", kind: kindString},
	{name: "warn-dirty", kind: kindBool},
}

// experimentalFeatures are the names Nix 2.8 knows (src/libutil/experimental-features.cc).
var experimentalFeatures = [...]string{
	"ca-derivations", "impure-derivations", "flakes", "nix-command",
	"recursive-nix", "no-url-literals", "fetch-closure",
}

// findSetting resolves a setting name or alias, as Config::set does, including
// the "extra-" prefix of appendable settings.
func findSetting(name string) (s *configSetting, appendTo bool, ok bool) {
	for i := range configSettings {
		c := &configSettings[i]
		if c.name == name {
			return c, false, true
		}
		for _, a := range c.aliases {
			if a == name {
				return c, false, true
			}
		}
	}
	if base, found := strings.CutPrefix(name, "extra-"); found {
		if c, _, ok := findSetting(base); ok && c.appendable() {
			return c, true, true
		}
	}
	return nil, false, false
}

// ParseBool reads the value of Boolean setting name as Nix 2.8 does
// (true/yes/1, false/no/0).
func ParseBool(name, value string) (bool, error) {
	switch value {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, Usagef("Boolean setting '%s' has invalid value '%s'", name, value)
}

func (c *configSetting) appendable() bool {
	return c.kind == kindList || c.kind == kindMap || c.kind == kindFeatures
}

// check validates a value the way the setting's set() does in Nix 2.8 and
// returns Nix's UsageError text, plus any warnings set() itself would print.
func (c *configSetting) check(value string) (warnings []string, err error) {
	switch c.kind {
	case kindBool:
		_, err := ParseBool(c.name, value)
		return nil, err
	case kindInt, kindUint:
		if !validInt(value, c.kind == kindInt, c.bits) {
			return nil, Usagef("setting '%s' has invalid value '%s'", c.name, value)
		}
	case kindMaxJobs:
		if value != "auto" && !validInt(value, false, 32) {
			return nil, Usagef("configuration setting '%s' should be 'auto' or an integer", c.name)
		}
	case kindSandbox:
		switch value {
		case "true", "false", "relaxed":
			return nil, nil
		}
		return nil, Usagef("option '%s' has invalid value '%s'", c.name, value)
	case kindPath:
		// canonPath throws a plain Error, which no caller turns into a
		// warning, not even --option.
		if value != "" && value[0] != '/' {
			return nil, &FatalError{Msg: "not an absolute path: '" + value + "'"}
		}
	case kindFeatures:
		for _, f := range strings.Fields(value) {
			known := false
			for _, k := range experimentalFeatures {
				known = known || k == f
			}
			if !known {
				warnings = append(warnings, "unknown experimental feature '"+f+"'")
			}
		}
	}
	return warnings, nil
}

// validInt reports whether boost::lexical_cast accepts s as an integer of the
// given width, with Nix's extra rule (string2Int) that unsigned values cannot
// start with '-'.
func validInt(s string, signed bool, bits int) bool {
	if signed {
		_, err := strconv.ParseInt(s, 10, bits)
		return err == nil
	}
	s = strings.TrimPrefix(s, "+")
	if s == "" || s[0] == '+' || s[0] == '-' {
		return false
	}
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}

// SplitUnit splits Nix's unit suffix (K, M, G or T, either case: binary
// multiples) off a number, as getIntArg and string2IntWithUnitPrefix do:
// the digits and the multiplier (1 without a suffix). Another ASCII letter
// is an error.
func SplitUnit(s string) (digits string, mult uint64, err error) {
	if s == "" {
		return s, 1, nil
	}
	u := s[len(s)-1]
	if u >= 'a' && u <= 'z' {
		u -= 'a' - 'A'
	}
	if u < 'A' || u > 'Z' {
		return s, 1, nil
	}
	switch u {
	case 'K':
		mult = 1 << 10
	case 'M':
		mult = 1 << 20
	case 'G':
		mult = 1 << 30
	case 'T':
		mult = 1 << 40
	default:
		return "", 0, Usagef("invalid unit specifier '%c'", u)
	}
	return s[:len(s)-1], mult, nil
}

// parseIntWithUnitPrefix is Nix's string2IntWithUnitPrefix<uint64_t>: a
// decimal count with an optional K, M, G or T suffix (binary multiples).
func parseIntWithUnitPrefix(s string) (uint64, error) {
	s, mult, err := SplitUnit(s)
	if err != nil {
		return 0, err
	}
	if !validInt(s, false, 64) {
		return 0, Usagef("'%s' is not an integer", s)
	}
	n, _ := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64)
	return n * mult, nil
}
