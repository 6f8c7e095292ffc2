package difflang

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A section is one file entry of a txtar archive.
type section struct {
	name string
	data []byte
	line int // line number of the "-- name --" marker
}

// parseTxtar splits a txtar archive (comment, then "-- NAME --" marked
// sections) into its sections. It is our own reading of the trivial format;
// golang.org/x/tools/txtar is not in go.sum.
func parseTxtar(data []byte) (comment []byte, sections []section) {
	var cur *section
	var buf []byte
	flush := func() {
		if cur == nil {
			comment = buf
		} else {
			cur.data = buf
			sections = append(sections, *cur)
		}
		buf = nil
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, l := range lines {
		if len(l) == 0 {
			continue
		}
		if name, ok := txtarMarker(l); ok {
			flush()
			cur = &section{name: name, line: i + 1}
			continue
		}
		buf = append(buf, l...)
		if !bytes.HasSuffix(l, []byte("\n")) {
			buf = append(buf, '\n')
		}
	}
	flush()
	return comment, sections
}

func txtarMarker(l []byte) (string, bool) {
	s := strings.TrimSuffix(strings.TrimSuffix(string(l), "\n"), "\r")
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < 6 {
		return "", false
	}
	name := strings.TrimSpace(s[3 : len(s)-3])
	return name, name != ""
}

// A testCase is one expression (or file) evaluated by both implementations.
type testCase struct {
	archive    string // archive base name without ".txtar"
	name       string
	pos        string // "testdata/x.txtar:LINE" for reports
	expr       string // the -E expression (or stdin text)
	file       string // evaluate this fixture file instead of -E
	stdin      bool   // pass expr on stdin with "-"
	flags      []string
	env        []string
	noStderr   bool     // do not compare stderr (machine-specific message)
	fullStderr bool     // compare all of stderr, not just up to the first error line
	modes      []string // if set, run only these modes
	fixtures   []section
	setup      []string
}

func (c *testCase) id() string { return c.archive + "/" + c.name }

func (c *testCase) runsMode(name string) bool {
	if len(c.modes) == 0 {
		return true
	}
	for _, m := range c.modes {
		if m == name {
			return true
		}
	}
	return false
}

var caseName = regexp.MustCompile(`^[A-Za-z0-9_.+-]+`)

// loadCorpus reads every testdata/*.txtar archive.
func loadCorpus(dir string) ([]*testCase, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, fmt.Errorf("load corpus %s: %w", dir, err)
	}
	sort.Strings(files)
	var all []*testCase
	seen := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("load corpus: %w", err)
		}
		cs, err := parseArchive(strings.TrimSuffix(filepath.Base(f), ".txtar"), filepath.ToSlash(f), data)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if prev, ok := seen[c.id()]; ok {
				return nil, fmt.Errorf("load corpus %s: case %q already defined at %s", c.pos, c.id(), prev)
			}
			seen[c.id()] = c.pos
		}
		all = append(all, cs...)
	}
	return all, nil
}

// parseArchive turns one archive into cases. Sections:
//
//	cases         one case per line: NAME: EXPR or NAME [WORDS]: EXPR
//	case NAME     one multi-line case; an optional first line "#! WORDS"
//	setup         lines "mkdir DIR", "symlink LINK TARGET", "chmod MODE FILE",
//	              "bytes FILE GO-QUOTED-STRING"
//	anything else a fixture file written into every case's directory
func parseArchive(archive, file string, data []byte) ([]*testCase, error) {
	_, secs := parseTxtar(data)
	var fixtures []section
	var setup []string
	var cases []*testCase
	for _, s := range secs {
		switch {
		case s.name == "cases":
			lines := strings.Split(strings.TrimSuffix(string(s.data), "\n"), "\n")
			for i, l := range lines {
				if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
					continue
				}
				pos := fmt.Sprintf("%s:%d", file, s.line+1+i)
				c, err := parseCaseLine(l)
				if err != nil {
					return nil, fmt.Errorf("parse %s: %w", pos, err)
				}
				c.pos = pos
				cases = append(cases, c)
			}
		case strings.HasPrefix(s.name, "case "):
			pos := fmt.Sprintf("%s:%d", file, s.line)
			c := &testCase{name: strings.TrimSpace(strings.TrimPrefix(s.name, "case ")), pos: pos}
			if caseName.FindString(c.name) != c.name {
				return nil, fmt.Errorf("parse %s: bad case name %q", pos, c.name)
			}
			body := string(s.data)
			if strings.HasPrefix(body, "#!") {
				first, rest, _ := strings.Cut(body, "\n")
				words, err := splitWords(strings.TrimPrefix(first, "#!"))
				if err != nil {
					return nil, fmt.Errorf("parse %s: %w", pos, err)
				}
				if err := c.applyWords(words); err != nil {
					return nil, fmt.Errorf("parse %s: %w", pos, err)
				}
				body = rest
			}
			c.expr = strings.TrimSuffix(body, "\n")
			cases = append(cases, c)
		case s.name == "setup":
			for _, l := range strings.Split(string(s.data), "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					setup = append(setup, l)
				}
			}
		default:
			clean := path.Clean(s.name)
			if path.IsAbs(clean) || clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
				return nil, fmt.Errorf("parse %s:%d: fixture name %q must be a relative path inside the case directory", file, s.line, s.name)
			}
			fixtures = append(fixtures, s)
		}
	}
	for _, c := range cases {
		c.archive = archive
		c.fixtures = fixtures
		c.setup = setup
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("parse %s: %w", c.pos, err)
		}
	}
	return cases, nil
}

// parseCaseLine parses "NAME: EXPR" or "NAME [WORDS]: EXPR".
func parseCaseLine(l string) (*testCase, error) {
	name := caseName.FindString(l)
	if name == "" {
		return nil, fmt.Errorf("case line %q: want NAME: EXPR", l)
	}
	c := &testCase{name: name}
	rest := strings.TrimLeft(l[len(name):], " ")
	if strings.HasPrefix(rest, "[") {
		end, err := closingBracket(rest)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", name, err)
		}
		words, err := splitWords(rest[1:end])
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", name, err)
		}
		if err := c.applyWords(words); err != nil {
			return nil, fmt.Errorf("case %s: %w", name, err)
		}
		rest = rest[end+1:]
	}
	if !strings.HasPrefix(rest, ":") {
		return nil, fmt.Errorf("case %s: want ':' after the name", name)
	}
	c.expr = strings.TrimPrefix(strings.TrimPrefix(rest, ":"), " ")
	return c, nil
}

// closingBracket finds the ']' that closes s[0] == '[', skipping quoted text.
func closingBracket(s string) (int, error) {
	var quote byte
	for i := 1; i < len(s); i++ {
		switch ch := s[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == ']':
			return i, nil
		}
	}
	return 0, fmt.Errorf("unterminated '[' in %q", s)
}

// splitWords splits shell-like words: blanks separate words, single or
// double quotes group (no escapes inside), quotes are removed.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == ' ' || ch == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// applyWords takes harness directives (@nostderr, @stderr=full, @file=F, @stdin,
// @env=NAME=VALUE, @modes=M1,M2) and passes every other word to
// nix-instantiate.
func (c *testCase) applyWords(words []string) error {
	for _, w := range words {
		switch {
		case w == "@nostderr":
			c.noStderr = true
		case w == "@stderr=full":
			c.fullStderr = true
		case w == "@stdin":
			c.stdin = true
		case strings.HasPrefix(w, "@file="):
			c.file = strings.TrimPrefix(w, "@file=")
		case strings.HasPrefix(w, "@modes="):
			for _, m := range strings.Split(strings.TrimPrefix(w, "@modes="), ",") {
				if modeByName(m) == nil {
					return fmt.Errorf("directive %q: unknown mode %q", w, m)
				}
				c.modes = append(c.modes, m)
			}
		case strings.HasPrefix(w, "@env="):
			kv := strings.TrimPrefix(w, "@env=")
			if !strings.Contains(kv, "=") {
				return fmt.Errorf("directive %q: want @env=NAME=VALUE", w)
			}
			c.env = append(c.env, kv)
		case strings.HasPrefix(w, "@"):
			return fmt.Errorf("unknown directive %q", w)
		default:
			c.flags = append(c.flags, w)
		}
	}
	return nil
}

func (c *testCase) check() error {
	switch {
	case c.file != "" && (c.stdin || c.expr != ""):
		return fmt.Errorf("case %s: @file takes no expression and no @stdin", c.name)
	case c.file == "" && strings.TrimSpace(c.expr) == "":
		return fmt.Errorf("case %s: empty expression", c.name)
	case c.file == "" && !c.stdin && strings.HasPrefix(c.expr, "-"):
		// nix-instantiate would read "-E -1" as an unknown flag.
		return fmt.Errorf("case %s: an expression may not start with '-' (add a space or parentheses)", c.name)
	}
	if c.file != "" {
		found := false
		want := path.Clean(c.file)
		for _, f := range c.fixtures {
			name := path.Clean(f.name)
			found = found || name == want || strings.HasPrefix(name, want+"/")
		}
		for _, l := range c.setup {
			fs := strings.Fields(l)
			found = found || len(fs) >= 2 && path.Clean(fs[1]) == want
		}
		if !found && !strings.HasPrefix(c.file, "<") {
			return fmt.Errorf("case %s: @file=%s is not a fixture of this archive", c.name, c.file)
		}
	}
	return nil
}

// materialise writes the fixtures of c into dir and runs its setup lines.
func (c *testCase) materialise(dir string) error {
	for _, f := range c.fixtures {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("materialise %s: %w", c.id(), err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return fmt.Errorf("materialise %s: %w", c.id(), err)
		}
	}
	for _, l := range c.setup {
		f := strings.Fields(l)
		var err error
		switch {
		case len(f) == 2 && f[0] == "mkdir":
			err = os.MkdirAll(filepath.Join(dir, f[1]), 0o755)
		case len(f) == 3 && f[0] == "symlink":
			err = os.Symlink(f[2], filepath.Join(dir, f[1]))
		case len(f) >= 3 && f[0] == "bytes":
			// bytes FILE "Go-quoted string": binary fixtures (NUL bytes…).
			var data string
			if data, err = strconv.Unquote(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l)[len("bytes"):], " "+f[1]))); err == nil {
				err = os.WriteFile(filepath.Join(dir, f[1]), []byte(data), 0o644)
			}
		case len(f) == 3 && f[0] == "chmod":
			var mode uint32
			if _, err = fmt.Sscanf(f[1], "%o", &mode); err == nil {
				err = os.Chmod(filepath.Join(dir, f[2]), os.FileMode(mode))
			}
		default:
			err = fmt.Errorf("unknown setup line %q", l)
		}
		if err != nil {
			return fmt.Errorf("materialise %s: setup: %w", c.id(), err)
		}
	}
	return nil
}
