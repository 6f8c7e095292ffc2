package tomlparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"gonix/internal/testutil"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonix/internal/lang/jsonparse"
)

var update = flag.Bool("update", false, "regenerate testdata/golden.json by running real Nix 2.8")

const goldenFile = "testdata/golden.json"

// goldenCase is Nix 2.8's result for one TOML input: Want is the value in
// the canonical form of dumpNix/dumpGo; Error the first line of the message.
type goldenCase struct {
	Input text   `json:"input"`
	Want  string `json:"want,omitempty"`
	Error text   `json:"error,omitempty"`
}

// text is a golden-file byte string (see testutil.Bytes).
type text = testutil.Bytes

// knownDifferences are inputs where Parse knowingly departs from Nix 2.8,
// with the reason. The test checks that the departure is still the one
// described, so fixing one shows up.
var knownDifferences = map[string]string{
	// The decoder lets a dotted key add to an inline table defined
	// earlier; toml11 says inline tables are immutable.
	"a = {b = 1}\na.c = 2": "accepted",
	// TOML 1.1 times without seconds: toml11 fails on the syntax, the
	// decoder reads a time, so the error is the dates one.
	"a = 07:32": "dates",
}

// dumpNix prints a fromTOML result canonically (floats exactly, as
// mantissa "p" exponent, sets sorted by key).
const dumpNix = `
let
  norm = x: e:
    if x >= 9007199254740992.0 then norm (x / 2.0) (e + 1)
    else if x < 4503599627370496.0 then norm (x * 2.0) (e - 1)
    else "${toString (builtins.floor x)}p${toString e}";
  flt = x:
    if x != x then toString x
    else if x == 0.0 then (if toString x == "-0.000000" then "-0" else "0")
    else if x == x * 2.0 then toString x
    else if x < 0.0 then "-" + norm (0.0 - x) 0
    else norm x 0;
  dump = v: let t = builtins.typeOf v; in
    if t == "int" then "i:${toString v}"
    else if t == "float" then "f:${flt v}"
    else if t == "bool" then (if v then "true" else "false")
    else if t == "null" then "null"
    else if t == "string" then "s:" + builtins.toJSON v
    else if t == "list" then "[" + builtins.concatStringsSep "," (map dump v) + "]"
    else "{" + builtins.concatStringsSep ","
      (map (k: builtins.toJSON k + ":" + dump v.${k}) (builtins.attrNames v)) + "}";
in file: dump (builtins.fromTOML (builtins.readFile file))
`

func dumpGo(b *strings.Builder, v jsonparse.Value) {
	switch v.Kind {
	case jsonparse.Int:
		fmt.Fprintf(b, "i:%d", v.Int)
	case jsonparse.Float:
		b.WriteString("f:")
		f := v.Float
		switch {
		case math.IsNaN(f) && math.Signbit(f):
			b.WriteString("-nan")
		case math.IsNaN(f):
			b.WriteString("nan")
		case math.IsInf(f, 1):
			b.WriteString("inf")
		case math.IsInf(f, -1):
			b.WriteString("-inf")
		case f == 0 && math.Signbit(f):
			b.WriteString("-0")
		case f == 0:
			b.WriteString("0")
		default:
			if f < 0 {
				b.WriteString("-")
				f = -f
			}
			frac, exp := math.Frexp(f)
			fmt.Fprintf(b, "%dp%d", int64(frac*(1<<53)), exp-53)
		}
	case jsonparse.Bool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case jsonparse.Null:
		b.WriteString("null")
	case jsonparse.String:
		b.WriteString("s:")
		quote(b, v.Str)
	case jsonparse.Array:
		b.WriteString("[")
		for i, e := range v.Arr {
			if i > 0 {
				b.WriteString(",")
			}
			dumpGo(b, e)
		}
		b.WriteString("]")
	case jsonparse.Object:
		b.WriteString("{")
		for i, m := range v.Obj { // Parse sorts members
			if i > 0 {
				b.WriteString(",")
			}
			quote(b, m.Key)
			b.WriteString(":")
			dumpGo(b, m.Val)
		}
		b.WriteString("}")
	}
}

// quote writes s as builtins.toJSON does.
func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func nixPath(t *testing.T) string {
	t.Helper()
	return testutil.NixTool(t, "nix-instantiate")
}

func runNix(t *testing.T, nix, dir, input string) goldenCase {
	t.Helper()
	in := filepath.Join(dir, "input.toml")
	prog := filepath.Join(dir, "dump.nix")
	if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, []byte(dumpNix), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--json", "--readonly-mode",
		"--option", "substituters", "", "-E", fmt.Sprintf("import %s %s", prog, in))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	c := goldenCase{Input: text(input)}
	var exit *exec.ExitError
	switch {
	case err == nil:
		if err := json.Unmarshal(stdout.Bytes(), &c.Want); err != nil {
			t.Fatalf("input %q: nix printed %q: %v", input, stdout.String(), err)
		}
	case errors.As(err, &exit):
		msg, ok := strings.CutPrefix(stderr.String(), "error: ")
		if !ok {
			t.Fatalf("input %q: unexpected nix stderr %q", input, stderr.String())
		}
		first, _, _ := strings.Cut(msg, "\n")
		c.Error = text(first)
	default:
		t.Fatalf("run nix: %v", err)
	}
	return c
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("read golden file (regenerate with go test -run TestGolden -update): %v", err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("decode %s: %v", goldenFile, err)
	}
	return cases
}

func TestGolden(t *testing.T) {
	if *update {
		nix := nixPath(t)
		dir := t.TempDir()
		var cases []goldenCase
		for _, in := range goldenInputs {
			cases = append(cases, runNix(t, nix, dir, in))
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cases); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := loadGolden(t)
	if len(cases) < 60 {
		t.Errorf("golden table has %d cases, want at least 60", len(cases))
	}
	const prefix = "while parsing a TOML string: "
	for i, c := range cases {
		v, err := Parse(string(c.Input))
		if diff, ok := knownDifferences[string(c.Input)]; ok {
			got := "error"
			switch {
			case err == nil:
				got = "accepted"
			case errors.Is(err, ErrDates):
				got = "dates"
			}
			if c.Error == "" || got != diff {
				t.Errorf("case %d: known difference for %q changed: Nix error %q, Parse gives %s (%v), expected %s",
					i, c.Input, c.Error, got, err, diff)
			}
			continue
		}
		switch {
		case c.Error != "" && err == nil:
			t.Errorf("case %d: Parse(%q) succeeded, Nix says %q", i, c.Input, c.Error)
		case c.Error != "":
			// toml11's syntax messages are not reproduced; the dates one is.
			if string(c.Error) == prefix+ErrDates.Error() && !errors.Is(err, ErrDates) {
				t.Errorf("case %d: Parse(%q) error %q, want %q", i, c.Input, err, ErrDates)
			}
			if string(c.Error) != prefix+ErrDates.Error() && errors.Is(err, ErrDates) {
				t.Errorf("case %d: Parse(%q) reports dates, Nix says %q", i, c.Input, c.Error)
			}
		case err != nil:
			t.Errorf("case %d: Parse(%q): %v; Nix gives %s", i, c.Input, err, c.Want)
		default:
			var b strings.Builder
			dumpGo(&b, v)
			if b.String() != c.Want {
				t.Errorf("case %d: Parse(%q)\n got %s\nwant %s", i, c.Input, b.String(), c.Want)
			}
		}
	}
}

// TestNixOracleLive re-checks a sample of the golden file against the
// installed Nix, so a stale golden file is noticed.
func TestNixOracleLive(t *testing.T) {
	nix := nixPath(t)
	dir := t.TempDir()
	cases := loadGolden(t)
	for i := 0; i < len(cases); i += 9 {
		if got := runNix(t, nix, dir, string(cases[i].Input)); got != cases[i] {
			t.Errorf("golden case %d is stale: nix says %+v, file says %+v", i, got, cases[i])
		}
	}
}
