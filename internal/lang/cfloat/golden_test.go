package cfloat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"gonix/internal/testutil"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/*.json from the C library (python3 ctypes) and real Nix 2.8")

// sample is one double and how C formats it: G is "%g", F is "%f".
type sample struct {
	Bits string `json:"bits"` // IEEE 754 bits, hex
	G    string `json:"g"`
	F    string `json:"f"`
}

// nixSample is how Nix 2.8 prints a float: Print is `nix-instantiate --eval`
// output, ToString the result of builtins.toString.
type nixSample struct {
	Bits     string `json:"bits"`
	Print    string `json:"print"`
	ToString string `json:"toString"`
}

// samples are the doubles in the golden tables: edge cases, rounding ties
// of both formats, and a deterministic random spread over all magnitudes.
func samples() []float64 {
	fs := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 0.5, 1.5, 2.5, 10, 100, 1e5, 1e6, 1e7, 1e-4, 1e-5, 1e-6, 1e-7,
		123456, 1234567, 123456.5, 999999, 999999.4, 999999.5, 9999995, 99999.95, 0.000123456789,
		0.0078125, 0.0234375, 0.005859375, 0.001953125, 1234565, 1234575, 0.3, 2.0 / 3,
		1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 1e100, 1e300, 1e308, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 1e-300, 9007199254740993, 1 << 62,
		9223372036854775807, 18446744073709551615, 3.14159265358979, -273.15, 4.35, 0.0000005,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0xfff8000000000000),
		math.Float64frombits(0x7ff0000000000001), math.Float64frombits(0xfff0000000000001),
	}
	r := rand.New(rand.NewPCG(8, 2)) // fixed seed: the table must be reproducible
	for range 150 {
		fs = append(fs, math.Float64frombits(r.Uint64()))
	}
	for range 150 {
		// decimal-looking values across the range where %g switches form
		k := float64(r.IntN(2000000)) - 1000000
		fs = append(fs, k*math.Pow10(r.IntN(30)-20))
	}
	for range 50 {
		// near-ties of %g: six digits and a half
		fs = append(fs, (float64(r.IntN(900000)+100000)+0.5)*math.Pow10(r.IntN(20)-10))
	}
	return fs
}

func bitsOf(f float64) string { return fmt.Sprintf("%016x", math.Float64bits(f)) }

func fromBits(t *testing.T, s string) float64 {
	t.Helper()
	u, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatalf("bad bits %q: %v", s, err)
	}
	return math.Float64frombits(u)
}

// cPrintf is the oracle for the C library: python3 hands each double to
// the C library's snprintf through ctypes.
const cPrintf = `
import ctypes, struct, sys
libc = ctypes.CDLL("libc.so.6")
buf = ctypes.create_string_buffer(4096)
for line in sys.stdin:
    bits = line.strip()
    d = ctypes.c_double(struct.unpack("<d", bytes.fromhex(bits)[::-1])[0])
    out = []
    for fmt in (b"%g", b"%f"):
        libc.snprintf(buf, 4096, fmt, d)
        out.append(buf.value.decode())
    print(bits, out[0], out[1])
`

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (regenerate with go test -update): %v", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

func regenerateC(t *testing.T) {
	var in bytes.Buffer
	for _, f := range samples() {
		fmt.Fprintln(&in, bitsOf(f))
	}
	cmd := exec.Command("python3", "-c", cPrintf)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 printf oracle: %v", err)
	}
	var table []sample
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Fatalf("bad oracle line %q", sc.Text())
		}
		table = append(table, sample{Bits: fields[0], G: fields[1], F: fields[2]})
	}
	writeJSON(t, "testdata/printf.json", table)
}

func TestPrintfGolden(t *testing.T) {
	if *update {
		regenerateC(t)
	}
	var table []sample
	readJSON(t, "testdata/printf.json", &table)
	if len(table) < 300 {
		t.Errorf("printf table has %d entries, want the full sample set", len(table))
	}
	for _, s := range table {
		f := fromBits(t, s.Bits)
		if got := FormatG(f); got != s.G {
			t.Errorf("FormatG(%s = %v) = %q, C says %q", s.Bits, f, got, s.G)
		}
		if got := FormatF(f); got != s.F {
			t.Errorf("FormatF(%s = %v) = %q, C says %q", s.Bits, f, got, s.F)
		}
	}
}

// nixFloat is a Nix expression for exactly f. Finite values go through
// fromJSON in exponent form (a float even when integral, and exact, which
// Nix float literals are not always); the others through fromTOML.
func nixFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return `(builtins.fromTOML "x = inf").x`
	case math.IsInf(f, -1):
		return `(builtins.fromTOML "x = -inf").x`
	case math.IsNaN(f) && math.Signbit(f):
		return `(builtins.fromTOML "x = -nan").x`
	case math.IsNaN(f):
		return `(builtins.fromTOML "x = nan").x`
	}
	return fmt.Sprintf(`(builtins.fromJSON "%s")`, strconv.FormatFloat(f, 'e', -1, 64))
}

func regenerateNix(t *testing.T) {
	nix := nixPath(t)
	var fs []float64
	for i, f := range samples() {
		// every special value, and a third of the rest, keeps the run short
		if i < 70 || i%3 == 0 {
			if math.IsNaN(f) && math.Float64bits(f)&(1<<51) == 0 {
				continue // signalling NaNs cannot be made in Nix
			}
			fs = append(fs, f)
		}
	}
	var expr strings.Builder
	expr.WriteString("[")
	for _, f := range fs {
		fmt.Fprintf(&expr, " (let x = %s; in [ x (toString x) ])", nixFloat(f))
	}
	expr.WriteString(" ]")
	out, err := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--readonly-mode",
		"--option", "substituters", "", "-E", expr.String()).Output()
	if err != nil {
		t.Fatalf("nix-instantiate: %v", err)
	}
	// Output: [ [ 1 "1.000000" ] [ ... ] ]; no token contains a space.
	toks := strings.Fields(string(out))
	var table []nixSample
	for i := 1; i+3 < len(toks); i += 4 {
		if toks[i] != "[" || toks[i+3] != "]" {
			t.Fatalf("unexpected nix output near token %d: %q", i, toks[i:i+4])
		}
		table = append(table, nixSample{
			Bits:     bitsOf(fs[len(table)]),
			Print:    toks[i+1],
			ToString: strings.Trim(toks[i+2], `"`),
		})
	}
	if len(table) != len(fs) {
		t.Fatalf("nix printed %d values for %d inputs", len(table), len(fs))
	}
	writeJSON(t, "testdata/nix.json", table)
}

func TestNixGolden(t *testing.T) {
	if *update {
		regenerateNix(t)
	}
	var table []nixSample
	readJSON(t, "testdata/nix.json", &table)
	if len(table) < 150 {
		t.Errorf("nix table has %d entries, want at least 150", len(table))
	}
	for _, s := range table {
		f := fromBits(t, s.Bits)
		if got := FormatG(f); got != s.Print {
			t.Errorf("FormatG(%s = %v) = %q, Nix prints %q", s.Bits, f, got, s.Print)
		}
		if got := FormatF(f); got != s.ToString {
			t.Errorf("FormatF(%s = %v) = %q, Nix toString gives %q", s.Bits, f, got, s.ToString)
		}
	}
}

// nixPath returns nix-instantiate's path, or skips; with CI=true a missing
// Nix fails the test instead.
func nixPath(t *testing.T) string {
	t.Helper()
	return testutil.NixTool(t, "nix-instantiate")
}
