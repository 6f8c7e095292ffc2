package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/format/jsonstr"
)

// Structured attributes (`__structuredAttrs = true`) reach the builder as
// .attrs.json and .attrs.sh (spec/store.md §10.3). Nix 2.8 parses the
// derivation's __json with nlohmann::json and prints it back, so the
// files follow that library's conventions: object keys sorted bytewise,
// compact output, integers kept apart from floats, floats in their
// shortest round-trip form.

// jsonObject is a parsed JSON object; values are nil, bool, string,
// json.Number, []any or jsonObject.
type jsonObject map[string]any

// parseStructuredAttrs parses a derivation's __json attribute.
func parseStructuredAttrs(drvPath, s string) (jsonObject, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	v, err := decodeJSON(d)
	if err == nil {
		if _, err2 := d.Token(); err2 != io.EOF {
			err = fmt.Errorf("unexpected data after the value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot process __json attribute of '%s': %w", drvPath, err)
	}
	o, ok := v.(jsonObject)
	if !ok {
		// Nix would fail on the first attribute it looks up.
		return nil, fmt.Errorf("cannot process __json attribute of '%s': not a JSON object", drvPath)
	}
	return o, nil
}

// decodeJSON reads one value, keeping objects as jsonObject (a repeated
// key keeps its last value, as in nlohmann::json).
func decodeJSON(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := jsonObject{}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(d)
				if err != nil {
					return nil, err
				}
				o[k.(string)] = v
			}
			_, err := d.Token()
			return o, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := decodeJSON(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// jsonNum classifies a number as nlohmann::json does: a literal without
// fraction or exponent is an integer if it fits 64 bits (signed when
// negative, unsigned otherwise), anything else a double.
type jsonNum struct {
	isInt, isUint bool
	i             int64
	u             uint64
	f             float64
}

func classifyNumber(n json.Number) jsonNum {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if strings.HasPrefix(s, "-") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return jsonNum{isInt: true, i: i}
			}
		} else if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return jsonNum{isUint: true, u: u}
		}
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow, as strtod
	return jsonNum{f: f}
}

func (n jsonNum) float() float64 {
	switch {
	case n.isInt:
		return float64(n.i)
	case n.isUint:
		return float64(n.u)
	}
	return n.f
}

// int32 is nlohmann's get<int>(): a static_cast, which wraps integers and
// truncates doubles (x86 gives INT_MIN for a double out of range).
func (n jsonNum) int32() int32 {
	switch {
	case n.isInt:
		return int32(n.i)
	case n.isUint:
		return int32(n.u)
	}
	if math.IsNaN(n.f) || n.f >= 1<<31 || n.f < -(1<<31) {
		return math.MinInt32
	}
	return int32(n.f)
}

// marshalJSON prints v the way nlohmann::json's dump() does.
func marshalJSON(v any) []byte {
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		jsonstr.Write(b, v)
	case json.Number:
		n := classifyNumber(v)
		switch {
		case n.isInt:
			b.WriteString(strconv.FormatInt(n.i, 10))
		case n.isUint:
			b.WriteString(strconv.FormatUint(n.u, 10))
		default:
			b.WriteString(formatJSONFloat(n.f))
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case uint64:
		b.WriteString(strconv.FormatUint(v, 10))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case jsonObject:
		b.WriteByte('{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonstr.Write(b, k)
			b.WriteByte(':')
			writeJSON(b, v[k])
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("build: unexpected JSON value %T", v))
	}
}

func sortedKeys(o jsonObject) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// formatJSONFloat prints a double as nlohmann's dump_float: the shortest
// digits that round-trip, in fixed notation when the decimal exponent is
// in (-4, 15] (with ".0" added to an integral value), otherwise as
// d.ddde±XX with at least two exponent digits.
func formatJSONFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	neg := f < 0
	// Shortest digits and exponent from Go's formatter: "d.ddde±XX".
	e := strconv.FormatFloat(math.Abs(f), 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k := len(digits)
	n := x + 1 // the decimal point sits after n digits
	var s string
	switch {
	case k <= n && n <= 15:
		s = digits + strings.Repeat("0", n-k) + ".0"
	case 0 < n && n <= 15:
		s = digits[:n] + "." + digits[n:]
	case -4 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		m := digits[:1]
		if k > 1 {
			m += "." + digits[1:]
		}
		ex := n - 1
		sign := "+"
		if ex < 0 {
			sign = "-"
			ex = -ex
		}
		es := strconv.Itoa(ex)
		if ex < 10 {
			es = "0" + es
		}
		s = m + "e" + sign + es
	}
	if neg {
		s = "-" + s
	}
	return s
}

// shVarName is [A-Za-z_][A-Za-z0-9_]*, the keys .attrs.sh declares.
func isShVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// shellEscape is Nix's: the string in single quotes, each quote inside
// closing the quoted part, escaped with a backslash, and reopened.
func shellEscape(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shSimple renders a value bash can hold in a variable, or reports that
// it cannot (writeStructuredAttrsShell's handleSimpleType). A number is
// tested for being integral as a float (nlohmann's get<float>), then
// printed as get<int>: 2.5 is left out, 3.0 prints 3.
func shSimple(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return shellEscape(v), true
	case json.Number:
		n := classifyNumber(v)
		f := float64(float32(n.float()))
		if math.Ceil(f) == f {
			return strconv.Itoa(int(n.int32())), true
		}
		return "", false
	case nil:
		return "''", true
	case bool:
		if v {
			return "1", true
		}
		return "", true
	}
	return "", false
}

// structuredAttrsShell is the text of .attrs.sh for the attributes o.
func structuredAttrsShell(o jsonObject) string {
	var b strings.Builder
	for _, k := range sortedKeys(o) {
		if !isShVarName(k) {
			continue
		}
		v := o[k]
		if s, ok := shSimple(v); ok {
			fmt.Fprintf(&b, "declare %s=%s\n", k, s)
			continue
		}
		switch v := v.(type) {
		case []any:
			var s2 strings.Builder
			good := true
			for _, e := range v {
				s3, ok := shSimple(e)
				if !ok {
					good = false
					break
				}
				s2.WriteString(s3)
				s2.WriteByte(' ')
			}
			if good {
				fmt.Fprintf(&b, "declare -a %s=(%s)\n", k, s2.String())
			}
		case jsonObject:
			var s2 strings.Builder
			good := true
			for _, k2 := range sortedKeys(v) {
				s3, ok := shSimple(v[k2])
				if !ok {
					good = false
					break
				}
				fmt.Fprintf(&s2, "[%s]=%s ", shellEscape(k2), s3)
			}
			if good {
				fmt.Fprintf(&b, "declare -A %s=(%s)\n", k, s2.String())
			}
		}
	}
	return b.String()
}

// attr helpers: Nix's ParsedDerivation getters, reading __json when the
// derivation has structured attributes and the environment otherwise.

// drvAttrs gives typed access to a derivation's attributes.
type drvAttrs struct {
	drvPath    string
	env        map[string]string
	structured jsonObject // nil without __structuredAttrs
}

func (a *drvAttrs) strings(name string) ([]string, bool, error) {
	if a.structured == nil {
		v, ok := a.env[name]
		if !ok {
			return nil, false, nil
		}
		return tokenize(v), true, nil
	}
	v, ok := a.structured[name]
	if !ok {
		return nil, false, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, false, fmt.Errorf("attribute '%s' of derivation '%s' must be a list of strings", name, a.drvPath)
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false, fmt.Errorf("attribute '%s' of derivation '%s' must be a list of strings", name, a.drvPath)
		}
		out = append(out, s)
	}
	return out, true, nil
}

// tokenize splits on Nix's default separators (tokenizeString): space,
// tab, newline and carriage return.
func tokenize(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}
