package tomlparse

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"gonix/internal/lang/jsonparse"
)

// ErrDates is returned for a document holding a date or time, which Nix
// cannot represent. Its text is exactly Nix 2.8's; the evaluator adds the
// "while parsing a TOML string: " prefix as for every other TOML error.
var ErrDates = errors.New("Dates and times are not supported")

// maxRetries bounds the re-parses done to saturate out-of-range numbers,
// one per number (see saturate); a document with more of them is refused.
const maxRetries = 256

// Parse decodes a TOML document into the value tree of jsonparse: tables
// become Objects (members sorted by key), arrays and arrays of tables
// Arrays, and integers, floats, booleans and strings the matching kinds.
//
// It follows Nix 2.8 (toml11 3.7, TOML 1.0) where that differs from the
// decoder underneath (github.com/BurntSushi/toml, TOML 1.1):
//   - the TOML 1.1 additions are syntax errors: the escapes \e and \xHH,
//     and newlines or a trailing comma in an inline table;
//   - an integer out of the int64 range saturates to the nearest bound
//     (0xFFFFFFFFFFFFFFFF is 9223372036854775807), and a float out of
//     range to ±1.7976931348623157e308, as C++ stream extraction does;
//   - a string value is cut at its first NUL (Nix builds it from a C
//     string); keys are not;
//   - a date or time anywhere is ErrDates.
//
// Syntax error messages are the decoder's, not toml11's.
func Parse(s string) (jsonparse.Value, error) {
	if err := checkTOML10(s); err != nil {
		return jsonparse.Value{}, err
	}
	doc := s
	var tree map[string]any
	for retry := 0; ; retry++ {
		_, err := toml.Decode(doc, &tree)
		if err == nil {
			break
		}
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			return jsonparse.Value{}, fmt.Errorf("toml: %w", err)
		}
		fixed, ok := saturate(doc, pe)
		if !ok {
			return jsonparse.Value{}, &Error{Line: pe.Position.Line, Col: pe.Position.Col, Msg: pe.Message}
		}
		if retry == maxRetries {
			return jsonparse.Value{}, &Error{Line: pe.Position.Line, Col: pe.Position.Col,
				Msg: fmt.Sprintf("more than %d out-of-range numbers", maxRetries)}
		}
		doc, tree = fixed, nil
	}
	return convert(tree)
}

// Error is a TOML syntax error at a 1-based line and column.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("toml: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// saturate handles an out-of-range number the way toml11 reads numbers
// (C++ stream extraction clamps to the type's bounds): it rewrites the
// offending literal in doc as the clamped value, to be parsed again.
func saturate(doc string, pe toml.ParseError) (string, bool) {
	var clamped string
	switch {
	case strings.HasSuffix(pe.Message, " is out of range for int64"):
		clamped = "9223372036854775807"
	case strings.HasSuffix(pe.Message, " is out of range for float64"):
		clamped = "1.7976931348623157e308"
	default:
		return "", false
	}
	start, end := pe.Position.Start, pe.Position.Start+pe.Position.Len
	if start < 0 || end > len(doc) || start >= end {
		return "", false
	}
	lit := doc[start:end]
	if lit[0] == '-' {
		if clamped[0] == '9' {
			clamped = "-9223372036854775808"
		} else {
			clamped = "-" + clamped
		}
	}
	return doc[:start] + clamped + doc[end:], true
}

func convert(tree map[string]any) (jsonparse.Value, error) {
	return convertValue(tree)
}

func convertValue(x any) (jsonparse.Value, error) {
	switch v := x.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var obj []jsonparse.Member
		if len(keys) > 0 {
			obj = make([]jsonparse.Member, len(keys))
		}
		for i, k := range keys {
			e, err := convertValue(v[k])
			if err != nil {
				return jsonparse.Value{}, err
			}
			obj[i] = jsonparse.Member{Key: k, Val: e}
		}
		return jsonparse.Value{Kind: jsonparse.Object, Obj: obj}, nil
	case []map[string]any:
		arr := make([]jsonparse.Value, len(v))
		for i, e := range v {
			c, err := convertValue(e)
			if err != nil {
				return jsonparse.Value{}, err
			}
			arr[i] = c
		}
		return jsonparse.Value{Kind: jsonparse.Array, Arr: arr}, nil
	case []any:
		var arr []jsonparse.Value
		if len(v) > 0 {
			arr = make([]jsonparse.Value, len(v))
		}
		for i, e := range v {
			c, err := convertValue(e)
			if err != nil {
				return jsonparse.Value{}, err
			}
			arr[i] = c
		}
		return jsonparse.Value{Kind: jsonparse.Array, Arr: arr}, nil
	case int64:
		return jsonparse.Value{Kind: jsonparse.Int, Int: v}, nil
	case float64:
		return jsonparse.Value{Kind: jsonparse.Float, Float: v}, nil
	case bool:
		return jsonparse.Value{Kind: jsonparse.Bool, Bool: v}, nil
	case string:
		if i := strings.IndexByte(v, 0); i >= 0 {
			v = v[:i]
		}
		return jsonparse.Value{Kind: jsonparse.String, Str: v}, nil
	case time.Time:
		return jsonparse.Value{}, ErrDates
	}
	return jsonparse.Value{}, fmt.Errorf("toml: unexpected decoded type %T", x)
}
