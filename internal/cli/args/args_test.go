package args

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"-qaP", []string{"-q", "-a", "-P"}},
		{"-j3", []string{"-j", "3"}},
		{"-j16x", []string{"-j", "16x"}},
		{"-I/x", []string{"-I", "/x"}},
		{"-Ifoo=bar", []string{"-I", "-f", "-o", "-o", "=bar"}},
		{"-Af", []string{"-A", "-f"}},
		{"-v", []string{"-v"}},
		{"-", []string{"-"}},
		{"--", []string{"--"}},
		{"--foo", []string{"--foo"}},
		{"-1", []string{"-1"}},
		{"-12", []string{"-12"}},
		{"-1a", []string{"-1a"}},
		{"x-ab", []string{"x-ab"}},
		{"", []string{""}},
		{"-é", []string{"-é"}},
		{"-aé", []string{"-a", "é"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Expand(tt.in)); diff != "" {
			t.Errorf("Expand(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// testParser is a small command in Nix's shape: registered flags of arity 0, 1
// and 2, and legacy (callback) flags of arity 0 and 1. Every event is logged.
func testParser(log *[]string) *Parser {
	rec := func(name string, v []string) error {
		*log = append(*log, strings.Join(append([]string{name}, v...), " "))
		return nil
	}
	var p Parser
	p.Add(
		Flag{Names: []string{"--verbose", "-v"}, Handle: rec},
		Flag{Names: []string{"--include", "-I"}, Arity: 1, Handle: rec},
		Flag{Names: []string{"--arg"}, Arity: 2, Handle: rec},
		Flag{Names: []string{"--quick", "-q"}, Legacy: true, Handle: rec},
		Flag{Names: []string{"-a"}, Legacy: true, Handle: rec},
		Flag{Names: []string{"-P"}, Legacy: true, Handle: rec},
		Flag{Names: []string{"--attr", "-A"}, Arity: 1, Legacy: true, Handle: rec},
		Flag{Names: []string{"-"}, Legacy: true, Handle: rec},
		Flag{Names: []string{"--stop"}, Legacy: true, Handle: func(string, []string) error { return ErrStop }},
	)
	p.Positional = func(arg string) error {
		*log = append(*log, "pos "+arg)
		return nil
	}
	return &p
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		log  []string
		err  string // "" for success
	}{
		{"combined", []string{"-qaP"}, []string{"-q", "-a", "-P"}, ""},
		{"combined with verbose", []string{"-vvq"}, []string{"-v", "-v", "-q"}, ""},
		{"glued value", []string{"-I/x", "-Afoo"}, []string{"-I /x", "-A -f"}, "unrecognised flag '-o'"},
		{"values are verbatim", []string{"-I", "-qa", "--arg", "-x", "--"}, []string{"-I -qa", "--arg -x --"}, ""},
		{"two args", []string{"--arg", "n", "1 + 2", "file"}, []string{"--arg n 1 + 2", "pos file"}, ""},
		{"interleaved", []string{"a", "-v", "b", "-A", "x", "c"}, []string{"pos a", "-v", "pos b", "-A x", "pos c"}, ""},
		{"dash dash", []string{"-v", "--", "-q", "x", "-"}, []string{"-v", "-q", "pos x", "-"}, ""},
		{"dash dash registered flag", []string{"--", "-v"}, nil, "unexpected argument '-v'"},
		{"dash dash unknown", []string{"--", "--nope"}, nil, "unexpected argument '--nope'"},
		{"dash dash twice", []string{"--", "--"}, nil, "unexpected argument '--'"},
		{"dash dash legacy with value", []string{"--", "-A", "x"}, nil, "'-A' requires an argument"},
		{"dash dash no expansion", []string{"--", "-qa"}, nil, "unexpected argument '-qa'"},
		{"missing registered 2", []string{"--arg", "x"}, nil, "flag '--arg' requires 2 argument(s)"},
		{"missing registered 1 short", []string{"-I"}, nil, "flag '-I' requires 1 argument(s)"},
		{"missing legacy", []string{"-v", "-A"}, []string{"-v"}, "'-A' requires an argument"},
		{"unknown long", []string{"-v", "--foo", "-q"}, []string{"-v"}, "unrecognised flag '--foo'"},
		{"unknown in combination", []string{"-qzq"}, []string{"-q"}, "unrecognised flag '-z'"},
		{"negative number", []string{"-1"}, nil, "unrecognised flag '-1'"},
		{"equals form", []string{"--arg=x"}, nil, "unrecognised flag '--arg=x'"},
		{"empty positional", []string{""}, []string{"pos "}, ""},
		{"stop", []string{"-v", "--stop", "--foo"}, []string{"-v"}, "args: stop"},
		{"stop after dash dash", []string{"--", "--stop"}, nil, "args: stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			err := testParser(&log).Parse(tt.argv)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.err {
				t.Errorf("Parse(%q) error = %q, want %q", tt.argv, got, tt.err)
			}
			if diff := cmp.Diff(tt.log, log); diff != "" {
				t.Errorf("Parse(%q) handler calls (-want +got):\n%s", tt.argv, diff)
			}
		})
	}
}

func TestParseErrorKinds(t *testing.T) {
	var log []string
	err := testParser(&log).Parse([]string{"--foo"})
	var u *UsageError
	if !errors.As(err, &u) {
		t.Fatalf("unknown flag: got %T %v, want *UsageError", err, err)
	}
	if err := testParser(&log).Parse([]string{"--stop"}); !errors.Is(err, ErrStop) {
		t.Errorf("--stop: got %v, want ErrStop", err)
	}
}

func TestParseDoesNotModifyArgv(t *testing.T) {
	argv := []string{"-qa", "x"}
	var log []string
	if err := testParser(&log).Parse(argv); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"-qa", "x"}, argv); diff != "" {
		t.Errorf("argv changed (-want +got):\n%s", diff)
	}
}

func TestLaterFlagReplacesEarlier(t *testing.T) {
	var got string
	var p Parser
	p.Add(Flag{Names: []string{"--x", "-x"}, Handle: func(n string, _ []string) error { got = "first " + n; return nil }})
	p.Add(Flag{Names: []string{"--x"}, Handle: func(n string, _ []string) error { got = "second " + n; return nil }})
	for argv, want := range map[string]string{"--x": "second --x", "-x": "first -x"} {
		if err := p.Parse([]string{argv}); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s ran %q, want %q", argv, got, want)
		}
	}
}
