package args

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseCommon(t *testing.T, program string, argv ...string) (Settings, error) {
	t.Helper()
	s := NewSettings()
	var p Parser
	p.Add(CommonFlags(&s, program)...)
	return s, p.Parse(argv)
}

func TestCommonFlags(t *testing.T) {
	tests := []struct {
		argv []string
		want Settings
	}{
		{nil, Settings{Verbosity: LevelInfo}},
		{[]string{"-vvv"}, Settings{Verbosity: LevelInfo + 3}},
		{[]string{"--quiet", "--quiet", "--quiet", "--quiet", "--quiet"}, Settings{Verbosity: LevelError}},
		{[]string{"--debug", "-v"}, Settings{Verbosity: LevelVomit}},
		{[]string{"-Q"}, Settings{Verbosity: LevelInfo, LogFormat: "raw"}},
		{[]string{"--log-format", "bar-with-logs"}, Settings{Verbosity: LevelInfo, LogFormat: "bar-with-logs"}},
		{[]string{"--readonly-mode", "--no-gc-warning"}, Settings{Verbosity: LevelInfo, ReadOnlyMode: true, NoGCWarning: true}},
		{[]string{"--show-trace"}, Settings{Verbosity: LevelInfo, ShowTrace: true,
			Overrides: []Override{{Name: "show-trace", Value: "true"}}}},
		{[]string{"--show-trace", "--no-show-trace"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "show-trace", Value: "true"}, {Name: "show-trace", Value: "false"}}}},
		{[]string{"--option", "show-trace", "yes"}, Settings{Verbosity: LevelInfo, ShowTrace: true,
			Overrides: []Override{{Name: "show-trace", Value: "yes"}}}},
		{[]string{"--store", "/tmp/s"}, Settings{Verbosity: LevelInfo, StoreURL: "/tmp/s",
			Overrides: []Override{{Name: "store", Value: "/tmp/s"}}}},
		{[]string{"-j3", "--max-jobs", "auto", "--cores", "2K"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "max-jobs", Value: "3"}, {Name: "max-jobs", Value: "auto"}, {Name: "cores", Value: "2048"}}}},
		{[]string{"-Kk", "--fallback", "--no-keep-failed"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "keep-failed", Value: "true"}, {Name: "keep-going", Value: "true"},
				{Name: "fallback", Value: "true"}, {Name: "keep-failed", Value: "false"}}}},
		{[]string{"--option", "binary-caches", "a", "--extra-substituters", "b", "--option", "extra-substituters", "c"},
			Settings{Verbosity: LevelInfo, Overrides: []Override{{Name: "substituters", Value: "a"},
				{Name: "substituters", Value: "b", Append: true}, {Name: "substituters", Value: "c", Append: true}}}},
		{[]string{"--relaxed-sandbox", "--sandbox-paths", "/bin"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "sandbox", Value: "relaxed"}, {Name: "sandbox-paths", Value: "/bin"}}}},
		{[]string{"--option", "no-such-setting", "x", "--option", "extra-system", "y"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "no-such-setting", Value: "x"}, {Name: "extra-system", Value: "y"}}}},
		{[]string{"--option", "cores", "x", "--option", "show-trace", "maybe", "--option", "max-jobs", "x"},
			Settings{Verbosity: LevelInfo, Warnings: []string{
				"error: setting 'cores' has invalid value 'x'",
				"error: Boolean setting 'show-trace' has invalid value 'maybe'",
				"error: configuration setting 'max-jobs' should be 'auto' or an integer"}}},
		{[]string{"--option", "log-lines", "+5", "--option", "log-lines", " 5"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "log-lines", Value: "+5"}},
			Warnings:  []string{"error: setting 'log-lines' has invalid value ' 5'"}}},
		{[]string{"--extra-experimental-features", "flakes bogus"}, Settings{Verbosity: LevelInfo,
			Overrides: []Override{{Name: "experimental-features", Value: "flakes bogus", Append: true}},
			Warnings:  []string{"unknown experimental feature 'bogus'"}}},
	}
	for _, tt := range tests {
		got, err := parseCommon(t, "nix-instantiate", tt.argv...)
		if err != nil {
			t.Errorf("%q: %v", tt.argv, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.argv, diff)
		}
	}
}

// The error texts below are what Nix 2.8's nix-instantiate prints for the same
// arguments; the oracle test in package cli checks them against the real binary.
func TestCommonFlagErrors(t *testing.T) {
	tests := []struct {
		argv []string
		err  string
	}{
		{[]string{"-j", "foo"}, "configuration setting 'max-jobs' should be 'auto' or an integer"},
		{[]string{"--cores", "foo"}, "invalid unit specifier 'O'"},
		{[]string{"--cores", "-1"}, "'-1' is not an integer"},
		{[]string{"--cores", ""}, "'' is not an integer"},
		{[]string{"--timeout", "-1"}, "'-1' is not an integer"},
		{[]string{"--connect-timeout", "x"}, "setting 'connect-timeout' has invalid value 'x'"},
		{[]string{"--connect-timeout", "-1"}, "setting 'connect-timeout' has invalid value '-1'"},
		{[]string{"--sandbox-paths"}, "flag '--sandbox-paths' requires 1 argument(s)"},
		{[]string{"--no-sandbox-paths"}, "unrecognised flag '--no-sandbox-paths'"},
		{[]string{"--build-cores", "2"}, "unrecognised flag '--build-cores'"},
		{[]string{"--log-format", "foo"}, "option 'log-format' has an invalid value 'foo'"},
		{[]string{"--option", "x"}, "flag '--option' requires 2 argument(s)"},
		{[]string{"-j"}, "flag '-j' requires 1 argument(s)"},
		{[]string{"--store"}, "flag '--store' requires 1 argument(s)"},
	}
	for _, tt := range tests {
		_, err := parseCommon(t, "nix-instantiate", tt.argv...)
		if err == nil || err.Error() != tt.err {
			t.Errorf("%q: error %v, want %q", tt.argv, err, tt.err)
		}
	}
}

func TestNixEnvKeepsSystemFlag(t *testing.T) {
	if _, err := parseCommon(t, "nix-instantiate", "--system", "x"); err != nil {
		t.Errorf("nix-instantiate --system: %v", err)
	}
	_, err := parseCommon(t, "nix-env", "--system", "x")
	if err == nil || err.Error() != "unrecognised flag '--system'" {
		t.Errorf("nix-env --system: error %v, want the setting flag removed", err)
	}
}

func TestLookup(t *testing.T) {
	s, err := parseCommon(t, "nix-instantiate",
		"--extra-substituters", "a", "--substituters", "b", "--extra-substituters", "c", "--option", "sandbox", "false")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"substituters": "b c", "sandbox": "false"} {
		if got, ok := s.Lookup(name); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := s.Lookup("cores"); ok {
		t.Errorf("Lookup(cores) found a value that was never set")
	}
}

func TestSettingsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range configSettings {
		for _, n := range append([]string{c.name}, c.aliases...) {
			if seen[n] {
				t.Errorf("setting name %q listed twice", n)
			}
			seen[n] = true
		}
		if (c.kind == kindInt || c.kind == kindUint) && c.bits == 0 {
			t.Errorf("integer setting %q has no width", c.name)
		}
	}
}
