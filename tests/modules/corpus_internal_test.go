package modules

import (
	"strings"
	"testing"
)

func TestNormalise(t *testing.T) {
	places := strings.NewReplacer("/tmp/nixpkgs.lib", "<lib>", "/src/cases", "<cases>")
	for _, c := range []struct {
		name           string
		ok             bool
		stdout, stderr string
		want           Result
	}{
		{"success", true, "{\"a\":1}\n", "", Result{OK: true, Out: `{"a":1}`}},
		{"success with traces", true, "1\n", "trace: warning: w1\ntrace: warning: w2\n", Result{OK: true, Out: "1", Stderr: "trace: warning: w1\ntrace: warning: w2"}},
		{"paths in output", true, "\"/src/cases/modules/foo.nix\"\n", "", Result{OK: true, Out: `"<cases>/modules/foo.nix"`}},
		{"message with continuation", false, "{\"a\":",
			"error: The option `a' has conflicting definition values:\n       - In `y.nix': 3\n       - In `x.nix': 2\n(use '--show-trace' to show detailed location information)\n",
			Result{Err: "The option `a' has conflicting definition values:\n- In `y.nix': 3\n- In `x.nix': 2"}},
		{"position block dropped", false, "",
			"error: attribute 'pkgs' missing\n\n       at /tmp/nixpkgs.lib/lib/modules.nix:491:28:\n\n          490|         builtins.addErrorContext (context name)\n             |                            ^\n(use '--show-trace' to show detailed location information)\n",
			Result{Err: "attribute 'pkgs' missing"}},
		{"message starting with a newline, traces before it", false, "",
			"trace: warning: w\nerror:\n       Failed assertions:\n       - first\n",
			Result{Err: "\nFailed assertions:\n- first"}},
		{"inner blank lines kept", false, "",
			"error: The option `b' does not exist. Definition values:\n       - In `x.nix': 1\n\n       Did you mean `a'?\n(use '--show-trace' to show detailed location information)\n",
			Result{Err: "The option `b' does not exist. Definition values:\n- In `x.nix': 1\n\nDid you mean `a'?"}},
		{"lib position in the message", false, "",
			"error: 'mkOption' at /tmp/nixpkgs.lib/lib/options.nix:140:5 called with unexpected argument 'bogus'\n\n       at /src/cases/x.nix:3:20:\n",
			Result{Err: "'mkOption' at <lib>/lib/options.nix called with unexpected argument 'bogus'"}},
		{"no error line", false, "", "Segmentation fault\n", Result{Err: "Segmentation fault"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Normalise(c.ok, c.stdout, c.stderr, places)
			if got != c.want {
				t.Errorf("Normalise = %#v\nwant        %#v", got, c.want)
			}
		})
	}
}

func TestDiffResults(t *testing.T) {
	ok := Result{OK: true, Out: "1"}
	for _, c := range []struct {
		name      string
		want, got Result
		same      bool
		mention   string
	}{
		{"equal", ok, ok, true, ""},
		{"other output", ok, Result{OK: true, Out: "2"}, false, "want output"},
		{"other stderr", ok, Result{OK: true, Out: "1", Stderr: "trace: x"}, false, "want stderr"},
		{"error instead", ok, Result{Err: "boom"}, false, "got error"},
		{"success instead", Result{Err: "boom"}, ok, false, "got success"},
		{"other message", Result{Err: "boom"}, Result{Err: "bang"}, false, "want error"},
	} {
		d := Diff(c.want, c.got)
		if (d == "") != c.same || !strings.Contains(d, c.mention) {
			t.Errorf("%s: Diff = %q", c.name, d)
		}
	}
}
