package regex

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"gonix/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Helpers to run real Nix 2.8 (the oracle) on match/split cases.

// needNix returns the path of nix-instantiate, skipping the test when it
// is absent (failing instead when CI=true).
func needNix(t *testing.T) string {
	t.Helper()
	return testutil.NixTool(t, "nix-instantiate")
}

// nixString renders s as a Nix string literal, byte for byte.
func nixString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// runNix evaluates the Nix expression in a file with --strict --json and
// returns stdout, or an error carrying stderr.
func runNix(ctx context.Context, nix, expr string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "regex-oracle")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "e.nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nix, "--store", "dummy://", "--eval", "--strict", "--json", "--readonly-mode",
		"--option", "substituters", "", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("nix-instantiate: %w: %s", err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// nixCompileError asks Nix whether re compiles: "" if it does,
// "invalid" or "memory" if not.
func nixCompileError(ctx context.Context, nix, re string) (string, error) {
	_, err := runNix(ctx, nix, "builtins.split "+nixString(re)+` ""`)
	switch {
	case err == nil:
		return "", nil
	case strings.Contains(err.Error(), "invalid regular expression"):
		return "invalid", nil
	case strings.Contains(err.Error(), "memory limit exceeded by regular expression"):
		return "memory", nil
	}
	return "", err
}

// outcome is what builtins.match and builtins.split return for one
// (regex, subject): Match is nil or a list of (string or nil); Split is a
// list of strings and lists of (string or nil). Strings hold raw bytes.
type outcome struct {
	Match any
	Split []any
}

// nixOutcomes evaluates match and split for every case in one run.
func nixOutcomes(ctx context.Context, nix string, res, subjects []string) ([]outcome, error) {
	var b strings.Builder
	b.WriteString("map (c: [ (builtins.match c.r c.s) (builtins.split c.r c.s) ]) [\n")
	for i := range res {
		fmt.Fprintf(&b, "{ r = %s; s = %s; }\n", nixString(res[i]), nixString(subjects[i]))
	}
	b.WriteString("]\n")
	out, err := runNix(ctx, nix, b.String())
	if err != nil {
		return nil, err
	}
	v, err := decodeRawJSON(out)
	if err != nil {
		return nil, fmt.Errorf("nix output: %w", err)
	}
	list, ok := v.([]any)
	if !ok || len(list) != len(res) {
		return nil, fmt.Errorf("nix output: want a list of %d results", len(res))
	}
	outs := make([]outcome, len(list))
	for i, e := range list {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("nix output %d: not a pair", i)
		}
		split, ok := pair[1].([]any)
		if !ok {
			return nil, fmt.Errorf("nix output %d: split is not a list", i)
		}
		outs[i] = outcome{Match: pair[0], Split: split}
	}
	return outs, nil
}

// decodeRawJSON decodes Nix's JSON output keeping string bytes as they are
// (Nix writes bytes >= 0x80 unescaped, which need not be UTF-8).
func decodeRawJSON(data []byte) (any, error) {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		return nil, nil
	case len(data) > 0 && data[0] == '"':
		return unquoteRaw(data)
	case len(data) > 0 && data[0] == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return nil, err
		}
		out := make([]any, len(elems))
		for i, e := range elems {
			v, err := decodeRawJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected JSON %.20q", data)
}

func unquoteRaw(q []byte) (string, error) {
	if len(q) < 2 || q[len(q)-1] != '"' {
		return "", fmt.Errorf("bad JSON string %q", q)
	}
	q = q[1 : len(q)-1]
	var b []byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i == len(q) {
			return "", fmt.Errorf("bad JSON escape")
		}
		switch q[i] {
		case '"', '\\', '/':
			b = append(b, q[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+4 >= len(q) {
				return "", fmt.Errorf("bad JSON \\u escape")
			}
			n, err := strconv.ParseUint(string(q[i+1:i+5]), 16, 16)
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, rune(n))
			i += 4
		default:
			return "", fmt.Errorf("bad JSON escape \\%c", q[i])
		}
	}
	return string(b), nil
}

// ours computes the outcome with this package, shaped like Nix's values.
func ours(r *Regexp, s string) outcome {
	var o outcome
	if g, ok := r.Match(s); ok {
		o.Match = groupValues(g)
	}
	ms := r.FindAll(s)
	prev := 0
	for _, m := range ms {
		o.Split = append(o.Split, s[prev:m.Start], groupValues(m.Groups))
		prev = m.End
	}
	o.Split = append(o.Split, s[prev:])
	return o
}

func groupValues(g []Group) []any {
	out := make([]any, len(g))
	for i, x := range g {
		if x.OK {
			out[i] = x.S
		}
	}
	return out
}
