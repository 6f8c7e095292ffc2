package build

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestKeepGoing: with --keep-going one failing derivation does not stop
// the independent ones; its dependent is not built; the failure is printed
// with its log (the tail under -Q, the lines themselves without) and the
// exit status is 100.
func TestKeepGoing(t *testing.T) {
	requireSandbox(t)
	const nOK = 6
	expr := fmt.Sprintf(`let
  %s
  bad = mk "bad" "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done; echo to-stderr >&2; exit 3";
  ok = builtins.genList (i: mk "ok-${toString i}" "/bin/sleep 0.1; echo ${toString i} > $out") %d;
in ok ++ [ bad (mk "needs-bad" "echo ${bad} > $out") ]
`, mkdrv, nOK)
	for _, quiet := range []bool{true, false} {
		t.Run(fmt.Sprintf("Q=%v", quiet), func(t *testing.T) {
			dir := tempDir(t)
			writeFile(t, dir, "kg.nix", expr)
			root := filepath.Join(dir, "store")
			args := []string{"--keep-going", "-j", "2", "--no-out-link", "kg.nix"}
			if quiet {
				args = append(args, "-Q")
			}
			r := gonixBuild(t, dir, root, args...)
			if r.code != 100 {
				t.Fatalf("want exit 100:\n%s", r)
			}
			// Every independent derivation was built, with its contents.
			for i := 0; i < nOK; i++ {
				m, _ := filepath.Glob(filepath.Join(root, "nix/store", fmt.Sprintf("*-ok-%d", i)))
				if len(m) != 1 {
					t.Errorf("ok-%d was not built (outputs %q):\n%s", i, m, r)
					continue
				}
				if b, err := os.ReadFile(m[0]); err != nil || string(b) != fmt.Sprintf("%d\n", i) {
					t.Errorf("ok-%d holds %q, %v", i, b, err)
				}
			}
			if m, _ := filepath.Glob(filepath.Join(root, "nix/store", "*-needs-bad")); len(m) != 0 {
				t.Errorf("the dependent of the failed derivation was built: %q", m)
			}
			bad := regexp.MustCompile(`/nix/store/[0-9a-z]{32}-bad\.drv`).FindString(r.stderr)
			if bad == "" {
				t.Fatalf("no mention of bad.drv:\n%s", r)
			}
			failLine := "error: builder for '" + bad + "' failed with exit code 3"
			if !strings.Contains(r.stderr, failLine) {
				t.Errorf("missing %q:\n%s", failLine, r)
			}
			if !regexp.MustCompile(`error: 1 dependencies of derivation '/nix/store/[0-9a-z]{32}-needs-bad\.drv' failed to build`).MatchString(r.stderr) {
				t.Errorf("the dependent's failure is not reported:\n%s", r)
			}
			if quiet {
				// Nix 2.8's tail: the last 10 lines, stdout and stderr merged.
				var want strings.Builder
				want.WriteString(failLine + ";\n       last 10 log lines:\n")
				for i := 4; i <= 12; i++ {
					fmt.Fprintf(&want, "       > line%d\n", i)
				}
				want.WriteString("       > to-stderr\n       For full logs, run 'nix log " + bad + "'.\n")
				if !strings.Contains(r.stderr, want.String()) {
					t.Errorf("the failure with its log tail:\n%s\nis not in:\n%s", want.String(), r)
				}
				if strings.Contains(r.stderr, "\nline1\n") {
					t.Errorf("-Q printed the builder's log:\n%s", r)
				}
			} else {
				var want strings.Builder
				for i := 1; i <= 12; i++ {
					fmt.Fprintf(&want, "line%d\n", i)
				}
				want.WriteString("to-stderr\n")
				if !strings.Contains(r.stderr, want.String()) {
					t.Errorf("the builder's log lines are not printed:\n%s", r)
				}
				if strings.Contains(r.stderr, "last 10 log lines:") {
					t.Errorf("the tail is repeated without -Q:\n%s", r)
				}
			}
		})
	}
}

// TestKeepGoingLikeNix: the error lines gonix prints for the --keep-going
// build above are Nix 2.8's (compared as sets: build order may differ).
func TestKeepGoingLikeNix(t *testing.T) {
	requireSandbox(t)
	dir := tempDir(t)
	writeFile(t, dir, "kg.nix", fmt.Sprintf(`let
  %s
  bad = mk "bad" "echo failing; exit 3";
in [ (mk "ok" "echo > $out") bad (mk "needs-bad" "echo ${bad} > $out") ]
`, mkdrv))
	args := []string{"--keep-going", "-j", "2", "--no-out-link", "-Q", "kg.nix"}
	n := nixBuild(t, dir, filepath.Join(dir, "nix-store"), args...)
	g := gonixBuild(t, dir, filepath.Join(dir, "gonix-store"), args...)
	if g.code != n.code {
		t.Errorf("exit %d, Nix 2.8 exits %d", g.code, n.code)
	}
	errorLines := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "error:") {
				out = append(out, l)
			}
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	if ge, ne := errorLines(g.stderr), errorLines(n.stderr); ge != ne {
		t.Errorf("error lines differ:\ngonix:\n%s\nNix 2.8:\n%s\n\ngonix's run:\n%s", ge, ne, g)
	}
}
