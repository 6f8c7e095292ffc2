package args

import (
	"bytes"
	"encoding/json"
	"errors"
	"gonix/internal/testutil"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// needNix returns the path of the real nix-instantiate (Nix 2.8, the oracle).
// Without it the test is skipped, unless CI=true, where that is a failure.
func needNix(t *testing.T, name string) string {
	t.Helper()
	return testutil.NixTool(t, name)
}

// TestSettingsTableMatchesNix compares configSettings with the settings real
// Nix 2.8 reports: names, aliases, and whether each is a boolean or a list.
func TestSettingsTableMatchesNix(t *testing.T) {
	nix := needNix(t, "nix")
	cmd := exec.Command(nix, "--extra-experimental-features", "nix-command", "show-config", "--json")
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix show-config: %v", err)
	}
	var real map[string]struct {
		Value   any      `json:"value"`
		Aliases []string `json:"aliases"`
	}
	if err := json.Unmarshal(out, &real); err != nil {
		t.Fatalf("nix show-config: %v", err)
	}
	type row struct {
		Name, Shape string
		Aliases     []string
	}
	shape := func(v any, name string) string {
		switch v.(type) {
		case bool:
			return "bool"
		case []any, map[string]any:
			return "list"
		case float64:
			return "int"
		}
		if name == "sandbox" {
			return "bool" // "relaxed" is the only string value
		}
		return "string"
	}
	var want, got []row
	for name, s := range real {
		aliases := append([]string{}, s.Aliases...)
		sort.Strings(aliases)
		want = append(want, row{name, shape(s.Value, name), aliases})
	}
	for _, c := range configSettings {
		sh := map[settingKind]string{kindBool: "bool", kindSandbox: "bool", kindInt: "int", kindUint: "int",
			kindMaxJobs: "int", kindList: "list", kindMap: "list", kindFeatures: "list",
			kindString: "string", kindPath: "string"}[c.kind]
		aliases := append([]string{}, c.aliases...)
		sort.Strings(aliases)
		got = append(got, row{c.name, sh, aliases})
	}
	less := func(a, b row) bool { return a.Name < b.Name }
	if diff := cmp.Diff(want, got, cmpSortRows(less)); diff != "" {
		t.Errorf("settings table differs from nix show-config (-nix +ours):\n%s", diff)
	}
}

func cmpSortRows[T any](less func(a, b T) bool) cmp.Option {
	return cmp.Transformer("sort", func(in []T) []T {
		out := append([]T{}, in...)
		sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
		return out
	})
}

// TestEverySettingFlagMatchesNix passes every flag the settings table
// generates to real nix-instantiate, followed by --version so that Nix stops
// right after parsing, and checks that both accept the line with the same
// warnings.
func TestEverySettingFlagMatchesNix(t *testing.T) {
	nixInst := needNix(t, "nix-instantiate")
	var argv []string
	for _, c := range configSettings {
		if c.name == "store" || c.name == "plugin-files" {
			continue // would open a store or load plugins
		}
		v := map[settingKind]string{kindBool: "yes", kindSandbox: "relaxed", kindString: "x", kindInt: "1", kindUint: "+1", kindMaxJobs: "auto",
			kindList: "x y", kindMap: "a=b", kindFeatures: "nix-command bogus", kindPath: "/x"}[c.kind]
		switch c.kind {
		case kindBool:
			argv = append(argv, "--"+c.name, "--no-"+c.name)
		case kindSandbox:
			argv = append(argv, "--"+c.name, "--no-"+c.name, "--relaxed-"+c.name)
		default:
			argv = append(argv, "--"+c.name, v)
			if c.appendable() {
				argv = append(argv, "--extra-"+c.name, v)
			}
		}
		argv = append(argv, "--option", c.name, v)
		for _, a := range c.aliases {
			argv = append(argv, "--option", a, v)
		}
	}
	argv = append(argv, "--option", "show-trace", "maybe", "--option", "cores", "many",
		"--option", "timeout", "-1", "--option", "connect-timeout", "-1", "--option", "max-jobs", "-1")

	cmd := exec.Command(nixInst, append(argv, "--version")...)
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("real nix-instantiate rejects the flags: %v\n%s", err, stderr.String())
	}

	s := NewSettings()
	var p Parser
	p.Add(CommonFlags(&s, "nix-instantiate")...)
	p.Add(Flag{Names: []string{"--version"}, Legacy: true, Handle: func(string, []string) error { return ErrStop }})
	if err := p.Parse(append(argv, "--version")); !errors.Is(err, ErrStop) {
		t.Fatalf("Parse: %v", err)
	}
	var ours strings.Builder
	for _, w := range s.Warnings {
		ours.WriteString("warning: " + w + "\n")
	}
	if diff := cmp.Diff(stderr.String(), ours.String()); diff != "" {
		t.Errorf("warnings differ (-nix +ours):\n%s", diff)
	}
}
