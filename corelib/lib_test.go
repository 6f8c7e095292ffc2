package corelib_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/cli"
)

// The lib corpus: testdata/lib/*.txt hold cases, each an expression over
// `lib` (lines up to the first "=> " line) and the output Nix 2.8 gives
// with nixpkgs' lib (the "=> " lines: trace lines, then the --strict
// --json value, or the first line of the error). TestLib checks gonix's
// own lib against them; TestLibOracle (lib_oracle_test.go, build tag
// libdiff, run by testdata/libdiff.sh) checks them against real Nix, and
// with -update rewrites them from it.

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
// then the JSON value or the error's first line, with the test data
// directory (dir, where the repository happens to be) written <testdata>.
func normalise(stdout, stderr string, status int, dir string) string {
	return strings.ReplaceAll(normaliseLines(stdout, stderr, status), dir, "<testdata>")
}

func normaliseLines(stdout, stderr string, status int) string {
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
	// Caches (e.g. the unpacked <gonixpkgs>) go to the temporary store
	// directory, never into the repository.
	env := map[string]string{"HOME": dir, "XDG_CACHE_HOME": filepath.Join(store, ".cache")}
	e := &cli.Env{
		Context:   context.Background(),
		Stdin:     strings.NewReader(""),
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	st := cli.Run(e, []string{"nix-instantiate", "--store", store, "--eval", "--strict", "--json", "-E", wrap(expr)})
	return normalise(stdout.String(), stderr.String(), st, dir)
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

// gonixRun runs gonix in-process with the given environment.
func gonixRun(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	dir := t.TempDir()
	if env == nil {
		env = map[string]string{}
	}
	env["HOME"] = dir
	e := &cli.Env{
		Context:   context.Background(),
		Stdin:     strings.NewReader(""),
		Stdout:    &out,
		Stderr:    &errb,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	st := cli.Run(e, append([]string{"nix-instantiate", "--store", t.TempDir()}, args...))
	return out.String(), errb.String(), st
}

// TestGonixSearchPath: <gonix/...> falls back to the embedded corelib at
// /__gonix__, after the user's own -I / NIX_PATH entries.
func TestGonixSearchPath(t *testing.T) {
	t.Parallel()
	own := t.TempDir()
	if err := os.MkdirAll(filepath.Join(own, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(own, "lib", "default.nix"), []byte("{ mine = true; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		stdout string
		stderr string // substring
		status int
	}{
		{"built-in path", nil, []string{"--eval", "-E", "<gonix/lib>"}, "/__gonix__/lib\n", "", 0},
		{"built-in root", nil, []string{"--eval", "-E", "<gonix>"}, "/__gonix__\n", "", 0},
		{"import", nil, []string{"--eval", "-E", "(import <gonix/lib>).boolToString true"}, "\"true\"\n", "", 0},
		{"one file", nil, []string{"--eval", "-E", "(import <gonix/lib/lists.nix> { lib = import <gonix/lib>; }).range 1 3", "--strict", "--json"}, "[1,2,3]", "", 0},
		{"relative import inside", nil, []string{"--eval", "-E", "import /__gonix__/lib/versions.nix { lib = import <gonix/lib>; } ? majorMinor"}, "true\n", "", 0},
		{"-I overrides", nil, []string{"-I", "gonix=" + own, "--eval", "--strict", "-E", "import <gonix/lib>"}, "{ mine = true; }\n", "", 0},
		{"NIX_PATH overrides", map[string]string{"NIX_PATH": "gonix=" + own}, []string{"--eval", "--strict", "-E", "import <gonix/lib>"}, "{ mine = true; }\n", "", 0},
		{"override falls back for files it lacks", nil, []string{"-I", "gonix=" + own, "--eval", "-E", "<gonix/lib/lists.nix>"}, "/__gonix__/lib/lists.nix\n", "", 0},
		{"missing", nil, []string{"--eval", "-E", "<gonix/no-such-file.nix>"}, "", "error: file 'gonix/no-such-file.nix' was not found in the Nix search path", 1},
		{"no escape", nil, []string{"--eval", "-E", "<gonix/../corelib.go>"}, "", "was not found in the Nix search path", 1},
		{"error position in the embedded lib", nil, []string{"--eval", "--show-trace", "-E", "(import <gonix/lib>).last []"}, "",
			"at /__gonix__/lib/lists.nix:", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, status := gonixRun(t, tt.env, tt.args...)
			if stdout != tt.stdout || status != tt.status || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got stdout %q status %d stderr:\n%s\nwant stdout %q status %d stderr containing %q", stdout, status, stderr, tt.stdout, tt.status, tt.stderr)
			}
		})
	}
	// The trace shows the embedded source line, as for a file on disk.
	_, stderr, _ := gonixRun(t, nil, "--eval", "--show-trace", "-E", "(import <gonix/lib>).last []")
	if !strings.Contains(stderr, `"lists.last: list must not be empty!"`) {
		t.Errorf("trace lacks the source line of lists.nix:\n%s", stderr)
	}
}
