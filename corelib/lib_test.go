package corelib_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/cli"
	"gonix/internal/testutil"
)

// The lib corpus: testdata/lib/*.txt hold cases, each an expression over
// `lib` (lines up to the first "=> " line) and the output Nix 2.8 gives
// with nixpkgs' lib (the "=> " lines: trace lines, then the --strict
// --json value, or the first line of the error). TestLib checks gonix's
// own lib against them; TestLibOracle (GONIX_LIBDIFF=<nixpkgs.lib
// checkout>, see testdata/libdiff.sh) checks them against real Nix, and
// with -update rewrites them from it.

var update = flag.Bool("update", false, "rewrite testdata/lib from Nix 2.8 + nixpkgs lib (TestLibOracle)")

type libCase struct {
	file string
	line int
	pre  []string // blank and comment lines before the case
	expr string
	want string
}

type corpusFile struct {
	cases []libCase
	tail  []string
}

func loadCases(t *testing.T) map[string]corpusFile {
	t.Helper()
	files, err := filepath.Glob("testdata/lib/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("lib corpus: no testdata/lib/*.txt (%v)", err)
	}
	out := make(map[string]corpusFile)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = parseCases(f, string(data))
	}
	return out
}

// parseCases splits a corpus file into cases. An expression runs from its
// first line to the "=> " lines (or a blank line, for a case not yet
// filled in); blank and "#" lines between cases are kept for -update.
func parseCases(file, text string) corpusFile {
	var cf corpusFile
	var pending, expr, want []string
	var cur *libCase
	flush := func() {
		if cur != nil {
			cur.expr = strings.Join(expr, "\n")
			cur.want = strings.Join(want, "\n")
			cf.cases = append(cf.cases, *cur)
		}
		cur, expr, want = nil, nil, nil
	}
	for i, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		isWant := strings.HasPrefix(l, "=> ") || l == "=>"
		blank := strings.TrimSpace(l) == ""
		switch {
		case cur != nil && isWant:
			want = append(want, strings.TrimPrefix(strings.TrimPrefix(l, "=>"), " "))
		case cur != nil && want == nil && !blank:
			expr = append(expr, l)
		default:
			flush()
			if blank || strings.HasPrefix(l, "#") || isWant {
				pending = append(pending, l)
				continue
			}
			cur = &libCase{file: file, line: i + 1, pre: pending}
			pending = nil
			expr = []string{l}
		}
	}
	flush()
	cf.tail = pending
	return cf
}

// normalise turns a command's result into the corpus form: trace lines,
// then the JSON value or the error's first line.
func normalise(stdout, stderr string, status int) string {
	var lines []string
	var errLine string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "trace: ") {
			lines = append(lines, l)
		} else if strings.HasPrefix(l, "error: ") && errLine == "" {
			errLine = l
		}
	}
	if status != 0 {
		if errLine == "" {
			errLine = fmt.Sprintf("error: (exit %d, no message)", status)
		}
		return strings.Join(append(lines, errLine), "\n")
	}
	return strings.Join(append(lines, strings.TrimRight(stdout, "\n")), "\n")
}

func wrap(expr string) string {
	return "let lib = import <gonix/lib>; in\n" + expr
}

func runGonix(t *testing.T, store, dir, expr string) string {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": dir}
	e := &cli.Env{
		Context:   context.Background(),
		Stdin:     strings.NewReader(""),
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	st := cli.Run(e, []string{"nix-instantiate", "--store", store, "--eval", "--strict", "--json", "-E", wrap(expr)})
	return normalise(stdout.String(), stderr.String(), st)
}

func TestLib(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, cf := range loadCases(t) {
		for _, c := range cf.cases {
			total++
			if c.want == "" {
				t.Errorf("%s:%d: no expected output (run testdata/libdiff.sh -update)", c.file, c.line)
				continue
			}
			if got := runGonix(t, store, dir, c.expr); got != c.want {
				t.Errorf("%s:%d: %s\n got: %s\nwant: %s", c.file, c.line, c.expr, got, c.want)
			}
		}
	}
	t.Logf("%d lib cases", total)
}

// TestLibOracle runs the corpus through Nix 2.8 with nixpkgs' lib as
// <gonix/lib> (GONIX_LIBDIFF names the nixpkgs.lib checkout); it is the
// local differential, not part of CI.
func TestLibOracle(t *testing.T) {
	root := os.Getenv("GONIX_LIBDIFF")
	if root == "" {
		t.Skip("GONIX_LIBDIFF (a nixpkgs.lib checkout) not set; see testdata/libdiff.sh")
	}
	nix := testutil.NixTool(t, "nix-instantiate")
	store := t.TempDir()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	agree, total := 0, 0
	for file, cf := range loadCases(t) {
		var b strings.Builder
		for _, c := range cf.cases {
			total++
			cmd := exec.Command(nix, "--store", store, "--option", "substituters", "", "-I", "gonix="+root,
				"--eval", "--strict", "--json", "-E", wrap(c.expr))
			cmd.Dir = dir
			cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "NIX_PATH="}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			status := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatalf("running %s: %v", nix, err)
				}
				status = ee.ExitCode()
			}
			got := normalise(stdout.String(), stderr.String(), status)
			if got == c.want {
				agree++
			} else if !*update {
				t.Errorf("%s:%d: %s\n nix: %s\nwant: %s", c.file, c.line, c.expr, got, c.want)
			}
			if *update {
				for _, l := range c.pre {
					b.WriteString(l + "\n")
				}
				b.WriteString(c.expr + "\n")
				for _, l := range strings.Split(got, "\n") {
					b.WriteString("=> " + l + "\n")
				}
			}
		}
		if *update {
			for _, l := range cf.tail {
				b.WriteString(l + "\n")
			}
			if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("Nix 2.8 + nixpkgs lib agrees with the corpus on %d of %d cases", agree, total)
}
