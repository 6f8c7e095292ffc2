package cli

import (
	"bytes"
	"context"
	"gonix/internal/testutil"
	"strings"
	"testing"
)

type result struct {
	stdout, stderr string
	status         int
}

// run calls Run in-process with its own buffers, environment and directory,
// so tests can run in parallel.
func run(t *testing.T, argv ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": t.TempDir()}
	e := &Env{
		Context:   context.Background(),
		Stdin:     strings.NewReader(""),
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       t.TempDir(),
	}
	status := Run(e, argv)
	return result{stdout.String(), stderr.String(), status}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	const unrecognised = "error: unrecognised flag '--foo'\nTry 'nix-instantiate --help' for more information.\n"
	tests := []struct {
		name string
		argv []string
		want result
	}{
		{"link name", []string{"nix-instantiate", "--version"}, result{"nix-instantiate (Nix) 2.8.0\n", "", 0}},
		{"link path", []string{"/run/bin/nix-instantiate", "--version"}, result{"nix-instantiate (Nix) 2.8.0\n", "", 0}},
		{"subcommand", []string{"gonix", "nix-instantiate", "--version"}, result{"nix-instantiate (Nix) 2.8.0\n", "", 0}},
		{"subcommand from a path", []string{"/usr/local/bin/gonix", "nix-instantiate", "--version"}, result{"nix-instantiate (Nix) 2.8.0\n", "", 0}},
		{"other name acts as gonix", []string{"foo", "nix-instantiate", "--version"}, result{"nix-instantiate (Nix) 2.8.0\n", "", 0}},
		{"gonix version", []string{"gonix", "--version"}, result{"gonix 0.1.0 (compatible with Nix 2.8.0)\n", "", 0}},
		{"unknown flag, link", []string{"nix-instantiate", "--foo"}, result{"", unrecognised, 1}},
		{"unknown flag, subcommand", []string{"gonix", "nix-instantiate", "--foo"}, result{"", unrecognised, 1}},
		{"unknown flag, link path", []string{"./bin/nix-instantiate", "--foo"},
			result{"", "error: unrecognised flag '--foo'\nTry './bin/nix-instantiate --help' for more information.\n", 1}},
		{"unknown command", []string{"gonix", "nix-frobnicate"},
			result{"", "error: unknown command 'nix-frobnicate'\nTry 'gonix --help' for the list of commands.\n", 1}},
		{"not implemented, link", []string{"/bin/nix-copy-closure", "--to", "x"}, result{"", "error: 'gonix nix-copy-closure' is not implemented yet\n", 1}},
		{"not implemented, subcommand", []string{"gonix", "nixos-rebuild", "switch"}, result{"", "error: 'gonix nixos-rebuild' is not implemented yet\n", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := run(t, tt.argv...); got != tt.want {
				t.Errorf("Run(%q) = %+v, want %+v", tt.argv, got, tt.want)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	help := run(t, "gonix", "--help")
	if help.status != 0 || help.stderr != "" {
		t.Fatalf("gonix --help: %+v", help)
	}
	for _, c := range commands {
		if !strings.Contains(help.stdout, "\n  "+c.name+" ") {
			t.Errorf("gonix --help does not list %s:\n%s", c.name, help.stdout)
		}
	}
	bare := run(t, "gonix")
	if bare.status != 1 || bare.stdout != "" || bare.stderr != help.stdout {
		t.Errorf("gonix without a command: %+v; want the usage on stderr and status 1", bare)
	}
	if empty := run(t); empty.status != 1 || empty.stderr != help.stdout {
		t.Errorf("empty argv: %+v; want the usage on stderr and status 1", empty)
	}
}

func TestCommandHelp(t *testing.T) {
	t.Parallel()
	for _, argv := range [][]string{{"nix-instantiate", "--help"}, {"gonix", "nix-instantiate", "-E", "--", "--help"}} {
		got := run(t, argv...)
		if got.status != 0 || got.stderr != "" || !strings.HasPrefix(got.stdout, "Usage: nix-instantiate ") {
			t.Errorf("%q: %+v", argv, got)
		}
	}
}

// TestCommandNames keeps the table in step with DESIGN.md promise 3.
func TestCommandNames(t *testing.T) {
	want := []string{"nix-instantiate", "nix-build", "nix-store", "nix-env", "nix-shell",
		"nix-collect-garbage", "nix-channel", "nix-hash", "nix-copy-closure", "nix-daemon",
		"nixos-rebuild", "nixos-option", "nixos-generate-config", "nixos-install", "nix",
		"copy", "store", "mkchannel", "serve"}
	for _, name := range want {
		if _, ok := lookupCommand(name); !ok {
			t.Errorf("command %s missing", name)
		}
	}
	if len(commands) != len(want) {
		t.Errorf("%d commands, want %d", len(commands), len(want))
	}
}

// needNix returns the path of a real Nix 2.8 program, the test oracle. Without
// it the test is skipped, unless CI=true, where that is a failure.
func needNix(t *testing.T, name string) string {
	t.Helper()
	return testutil.NixTool(t, name)
}
