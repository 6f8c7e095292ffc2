package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Header begins every case: the lib under test is whatever <gonix/lib> is.
const Header = "let lib = import <gonix/lib>; in"

// Case is one corpus file and what it must evaluate to.
type Case struct {
	Name       string // file name without .nix
	File       string // absolute path of the .nix file
	WantOut    string // contents of NAME.exp (JSON, no trailing newline), if the case succeeds
	WantErr    string // contents of NAME.err (normalised message), if the case fails
	WantStderr string // contents of NAME.stderr (trace lines of a succeeding case), may be empty
	HasExp     bool
	HasErr     bool
}

// Result is one evaluation, normalised for comparison (see Normalise).
type Result struct {
	OK     bool   // exit status 0
	Out    string // stdout when OK, without the final newline
	Err    string // the error message when not OK
	Stderr string // stderr when OK (trace lines), normalised
}

// LoadCases reads every DIR/*.nix with its expectation files, sorted by name.
// A case with neither .exp nor .err is returned with both flags false.
func LoadCases(dir string) ([]*Case, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", dir, err)
	}
	files, err := filepath.Glob(filepath.Join(abs, "*.nix"))
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", dir, err)
	}
	sort.Strings(files)
	var cases []*Case
	for _, f := range files {
		c := &Case{Name: strings.TrimSuffix(filepath.Base(f), ".nix"), File: f}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("corpus case %s: %w", c.Name, err)
		}
		if !strings.HasPrefix(string(src), Header) {
			return nil, fmt.Errorf("corpus case %s: does not begin with %q", c.Name, Header)
		}
		base := strings.TrimSuffix(f, ".nix")
		if b, err := os.ReadFile(base + ".exp"); err == nil {
			c.WantOut, c.HasExp = strings.TrimSuffix(string(b), "\n"), true
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("corpus case %s: %w", c.Name, err)
		}
		if b, err := os.ReadFile(base + ".err"); err == nil {
			c.WantErr, c.HasErr = strings.TrimSuffix(string(b), "\n"), true
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("corpus case %s: %w", c.Name, err)
		}
		if b, err := os.ReadFile(base + ".stderr"); err == nil {
			c.WantStderr = strings.TrimSuffix(string(b), "\n")
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("corpus case %s: %w", c.Name, err)
		}
		if c.HasExp && c.HasErr {
			return nil, fmt.Errorf("corpus case %s: has both .exp and .err", c.Name)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// Want is the case's expectation as a Result.
func (c *Case) Want() Result {
	if c.HasErr {
		return Result{Err: c.WantErr}
	}
	return Result{OK: true, Out: c.WantOut, Stderr: c.WantStderr}
}

// Evaluator runs one implementation of nix-instantiate with one lib.
type Evaluator struct {
	Argv   []string // command prefix, e.g. {"/tmp/gonix", "nix-instantiate"}
	LibDir string   // directory given as -I gonix=DIR (holds lib/); empty: gonix's embedded lib
	Home   string   // empty directory used as HOME
	Store  string   // chroot store given as --store (with --readonly-mode nothing is written; never the machine's /nix)
}

// Eval evaluates one case as `nix-instantiate --eval --strict --json` does and
// normalises the outcome.
func (e Evaluator) Eval(ctx context.Context, c *Case) (Result, error) {
	args := append(append([]string{}, e.Argv[1:]...),
		"--store", e.Store, "--readonly-mode", "--option", "substituters", "")
	lib := "/__gonix__" // gonix's embedded lib, when no LibDir is given
	if e.LibDir != "" {
		args = append(args, "-I", "gonix="+e.LibDir)
		lib = strings.TrimSuffix(e.LibDir, "/")
	}
	args = append(args, "--eval", "--strict", "--json", c.File)
	cmd := exec.CommandContext(ctx, e.Argv[0], args...)
	cmd.Dir = filepath.Dir(c.File)
	cmd.Env = cleanEnv(e.Home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return Result{}, fmt.Errorf("run %s on %s: %w", e.Argv[0], c.Name, err)
	}
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("run %s on %s: %w", e.Argv[0], c.Name, ctx.Err())
	}
	places := strings.NewReplacer(lib, "<lib>", filepath.Dir(c.File), "<cases>")
	return Normalise(err == nil, stdout.String(), stderr.String(), places), nil
}

// cleanEnv is the caller's environment without anything that changes how
// Nix evaluates (search path, warnings that abort, user configuration).
func cleanEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "NIX_PATH", "NIX_ABORT_ON_WARN", "NIX_CONF_DIR", "NIX_REMOTE", "NIX_SHOW_STATS",
			"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// posLine is the first line of Nix 2.8's position block ("at FILE:LINE:COL:"),
// printed indented after a blank line below the message.
var posLine = regexp.MustCompile(`^\s+at .*:\d+:\d+:$`)

// libPos is a position inside the lib quoted in a message line ("'mkOption'
// at <lib>/lib/options.nix:140:5 called with …"): its line and column
// differ between libs, so they are dropped.
var libPos = regexp.MustCompile(`(<lib>/[^\s:]*):\d+:\d+`)

// Normalise turns one run into a Result. The comparison rule (README.md):
//   - success: stdout without its final newline, and stderr (trace lines);
//   - failure: only the message after "error: " — continuation lines lose
//     Nix's 7-space indent; the position block ("at FILE:L:C:" and its code
//     frame, which point into lib files that differ between libs) and the
//     "(use '--show-trace' …)" hint are dropped; anything printed before the
//     last "error:" line (traces) is ignored; a position inside the lib
//     quoted in the message keeps its file but loses line and column.
//
// In both, places replaces the directories of the lib and of the case by
// "<lib>" and "<cases>", so paths in messages do not depend on where files live.
func Normalise(ok bool, stdout, stderr string, places *strings.Replacer) Result {
	repl := places.Replace
	if ok {
		return Result{OK: true, Out: repl(strings.TrimSuffix(stdout, "\n")), Stderr: repl(strings.TrimRight(stderr, "\n"))}
	}
	lines := strings.Split(stderr, "\n")
	start := -1
	for i, l := range lines {
		if l == "error:" || strings.HasPrefix(l, "error: ") {
			start = i
		}
	}
	if start < 0 {
		return Result{Err: repl(strings.TrimRight(stderr, "\n"))}
	}
	var msg []string
	for i, l := range lines[start:] {
		if i == 0 {
			l = strings.TrimPrefix(strings.TrimPrefix(l, "error:"), " ")
		} else {
			if posLine.MatchString(l) || strings.HasPrefix(l, "(use '--show-trace'") {
				break
			}
			l = strings.TrimPrefix(l, "       ")
		}
		msg = append(msg, l)
	}
	for len(msg) > 0 && strings.TrimSpace(msg[len(msg)-1]) == "" {
		msg = msg[:len(msg)-1]
	}
	return Result{Err: libPos.ReplaceAllString(repl(strings.Join(msg, "\n")), "$1")}
}

// Diff describes how got differs from want, or is "" when they agree.
func Diff(want, got Result) string {
	switch {
	case want.OK && !got.OK:
		return fmt.Sprintf("want success with\n%s\ngot error:\n%s", indent(want.Out), indent(got.Err))
	case !want.OK && got.OK:
		return fmt.Sprintf("want error:\n%s\ngot success with\n%s", indent(want.Err), indent(got.Out))
	case want.OK && want.Out != got.Out:
		return fmt.Sprintf("want output\n%s\ngot\n%s", indent(want.Out), indent(got.Out))
	case want.OK && want.Stderr != got.Stderr:
		return fmt.Sprintf("want stderr\n%s\ngot\n%s", indent(want.Stderr), indent(got.Stderr))
	case !want.OK && want.Err != got.Err:
		return fmt.Sprintf("want error\n%s\ngot\n%s", indent(want.Err), indent(got.Err))
	}
	return ""
}

func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Write stores r as the expectation files of c (the -update mode).
func (c *Case) Write(r Result) error {
	base := strings.TrimSuffix(c.File, ".nix")
	for _, ext := range []string{".exp", ".err", ".stderr"} {
		if err := os.Remove(base + ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("update %s: %w", c.Name, err)
		}
	}
	write := func(ext, s string) error {
		if err := os.WriteFile(base+ext, []byte(s+"\n"), 0o644); err != nil {
			return fmt.Errorf("update %s: %w", c.Name, err)
		}
		return nil
	}
	if !r.OK {
		return write(".err", r.Err)
	}
	if err := write(".exp", r.Out); err != nil {
		return err
	}
	if r.Stderr != "" {
		return write(".stderr", r.Stderr)
	}
	return nil
}
