package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/lang/eval"
)

// The expectations follow Nix 2.8's filterANSIEscapes (libutil/util.cc)
// with filterAll set, as its logger calls it when stderr is not a terminal.
func TestFilterANSIEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, plain, tty string
	}{
		{"plain", "error: x", "error: x", "error: x"},
		{"colour", "a \x1b[1;35mb\x1b[0m c", "a b c", "a \x1b[1;35mb\x1b[0m c"},
		{"non-SGR CSI dropped on a tty too", "a\x1b[2Kb", "ab", "ab"},
		{"two-byte escape", "a\x1bMb", "ab", "ab"},
		{"lone escape at end", "a\x1b", "a", "a"},
		{"tab to column 8", "\tx", "        x", "        x"},
		{"tab after text", "ab\tc", "ab      c", "ab      c"},
		{"tab on column 8", "12345678\tx", "12345678        x", "12345678        x"},
		// the column is counted from the start of the message, newlines included
		{"tab after newline", "abc\n\tx", "abc\n    x", "abc\n    x"},
		{"escape takes no column", "\x1b[1ma\x1b[0m\tx", "a       x", "\x1b[1ma\x1b[0m       x"},
		{"UTF-8 is one column", "é\tx", "é       x", "é       x"},
		{"CR and BEL dropped", "a\rb\ac", "abc", "abc"},
	}
	for _, tt := range tests {
		if got := eval.FilterANSIEscapes(tt.in, true); got != tt.plain {
			t.Errorf("%s: filterANSIEscapes(%q, true) = %q, want %q", tt.name, tt.in, got, tt.plain)
		}
		if got := eval.FilterANSIEscapes(tt.in, false); got != tt.tty {
			t.Errorf("%s: filterANSIEscapes(%q, false) = %q, want %q", tt.name, tt.in, got, tt.tty)
		}
	}
}

// An error printed to a non-terminal loses its colour codes and has its
// tabs expanded, message and trace hint alike (checked with Nix 2.8:
// a throw of the same string, piped through cat -A).
func TestPrintEvalErrorFiltersANSI(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	err := &eval.Error{Msg: "\x1b[1mA\x1b[0m \t\"x\"\n- In `m.nix': \" \t\""}
	if st := printEvalError(&b, err, false, "nix-instantiate"); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	want := "error: A        \"x\"\n       - In `m.nix': \"      \"\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("printEvalError (-want +got):\n%s", diff)
	}
	b.Reset()
	printEvalError(&b, errors.New("bad \x1b[31mthing\x1b[0m"), false, "nix-instantiate")
	if got, want := b.String(), "error: bad thing\n"; got != want {
		t.Errorf("non-eval error: got %q, want %q", got, want)
	}
}

// nix-env prints its errors through the same filter (Nix's logger does for
// every message): no escape codes and expanded tabs in a pipe. Nix 2.8's
// nix-env -f on this file prints "error: bold     x" too.
func TestNixEnvErrorFiltersANSI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	expr := filepath.Join(dir, "d.nix")
	src := `throw (builtins.fromJSON "\"\\u001b[1mbold\\u001b[0m\\tx\"")`
	if err := os.WriteFile(expr, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": dir}
	e := &Env{
		Context:   context.Background(),
		Stdin:     strings.NewReader(""),
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	if st := Run(e, []string{"nix-env", "--store", filepath.Join(dir, "store"), "-f", expr, "-qa"}); st == 0 {
		t.Fatalf("nix-env -qa over a throwing file succeeded: %q", stdout.String())
	}
	if got, want := stderr.String(), "error: bold     x\n"; !strings.Contains(got, want) || strings.Contains(got, "\x1b") {
		t.Errorf("nix-env error: got %q, want it to contain %q and no escape", got, want)
	}
}
