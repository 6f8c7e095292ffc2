package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
)

// printEvalError renders an evaluation error as Nix 2.8 does
// (spec/language.md §6.1) and returns the exit status. Like Nix's logger,
// every line it logs goes through filterANSIEscapes: on a non-terminal the
// colour codes are dropped, and tabs become spaces up to the next multiple
// of 8 columns everywhere.
func printEvalError(w io.Writer, err error, showTrace bool, program string) int {
	tty := isTerminal(w)
	logLine := func(s string) { fmt.Fprintln(w, filterANSIEscapes(s, !tty)) }
	var e *eval.Error
	if !errors.As(err, &e) {
		logLine("error: " + err.Error())
		return 1
	}
	var b strings.Builder
	b.WriteString(e.Msg)
	b.WriteByte('\n')
	writePos(&b, e.Pos)
	if s := eval.SuggestionText(e.Suggestions); s != "" {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if showTrace && e.Kind != eval.ErrStack {
		for _, t := range e.Trace {
			b.WriteString("\n… ")
			b.WriteString(t.Msg)
			b.WriteByte('\n')
			writePos(&b, t.Pos)
		}
	}
	// Nix indents the chomped text; an empty text (throw "") prints
	// nothing but the newline, not even "error:".
	if body := strings.TrimRight(b.String(), " \t\n\r"); body != "" {
		logLine(indent("error: ", "       ", body))
	} else {
		logLine("")
	}
	if e.Kind == eval.ErrUsage {
		logLine(fmt.Sprintf("Try '%s --help' for more information.", program))
	}
	// Nix reports a stack overflow from its signal handler, with no traces.
	if len(e.Trace) > 0 && !showTrace && e.Kind != eval.ErrStack {
		logLine("(use '--show-trace' to show detailed location information)")
	}
	return 1
}

// filterANSIEscapes is Nix 2.8's filterANSIEscapes (libutil/util.cc) with
// no width limit, applied by its logger to each message: escape sequences
// are dropped (with filterAll, as on a non-terminal) or only SGR colour
// sequences kept (on a terminal); a tab becomes spaces up to the next
// multiple of 8 columns, counted from the start of the message (a newline
// does not reset the column, as in Nix); CR and BEL are dropped. A UTF-8
// sequence counts as one column.
func filterANSIEscapes(s string, filterAll bool) string {
	if !strings.ContainsAny(s, "\x1b\t\r\a") {
		return s
	}
	var t strings.Builder
	t.Grow(len(s))
	w := 0
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == 0x1b:
			start := i
			i++
			var last byte
			if i < len(s) && s[i] == '[' {
				i++
				for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
					i++
				}
				for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
					i++
				}
				if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
					last = s[i]
					i++
				}
			} else if i < len(s) && s[i] >= 0x40 && s[i] <= 0x5f {
				i++
			}
			if !filterAll && last == 'm' {
				t.WriteString(s[start:i])
			}
		case c == '\t':
			i++
			t.WriteByte(' ')
			w++
			for w%8 != 0 {
				t.WriteByte(' ')
				w++
			}
		case c == '\r' || c == '\a':
			i++
		default:
			w++
			// one UTF-8 character: the lead byte and the continuation
			// bytes its form announces
			n := 0
			switch {
			case c&0xe0 == 0xc0:
				n = 1
			case c&0xf0 == 0xe0:
				n = 2
			case c&0xf8 == 0xf0:
				n = 3
			}
			t.WriteByte(c)
			i++
			for ; n > 0 && i < len(s) && s[i]&0xc0 == 0x80; n-- {
				t.WriteByte(s[i])
				i++
			}
		}
	}
	return t.String()
}

func writePos(b *strings.Builder, p ast.Pos) {
	if !p.IsValid() {
		return
	}
	b.WriteByte('\n')
	fmt.Fprintf(b, "at %s:%d:%d:", p.FileName(), p.Line, p.Col)
	text, ok := sourceText(p)
	if !ok {
		b.WriteByte('\n')
		return
	}
	lines := splitLines(text)
	if n := len(lines); n > 0 && lines[n-1] == "" {
		// text ending in a newline has no further line (Nix reads lines
		// with getline)
		lines = lines[:n-1]
	}
	l := int(p.Line)
	if l < 1 || l > len(lines) {
		b.WriteByte('\n')
		return
	}
	b.WriteByte('\n')
	if l > 1 {
		fmt.Fprintf(b, "\n %5d| %s", l-1, lines[l-2])
	}
	fmt.Fprintf(b, "\n %5d| %s", l, lines[l-1])
	if p.Col > 0 {
		fmt.Fprintf(b, "\n      |%s^", strings.Repeat(" ", int(p.Col)))
	}
	if l < len(lines) {
		fmt.Fprintf(b, "\n %5d| %s", l+1, lines[l])
	}
	b.WriteString("\n")
}

func sourceText(p ast.Pos) (string, bool) {
	switch p.Src.Origin {
	case ast.OriginString, ast.OriginStdin:
		return p.Src.Text, true
	case ast.OriginFile:
		if eval.IsEmbeddedPath(p.Src.Path) {
			return p.Src.Text, true
		}
		data, err := os.ReadFile(p.Src.Path)
		if err != nil {
			return "", false
		}
		return string(data), true
	}
	return "", false
}

// splitLines splits at LF, CR-LF or CR, like Nix's position counting.
func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			out = append(out, s[start:i])
			start = i + 1
		case '\r':
			out = append(out, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	out = append(out, s[start:])
	return out
}

// indent prefixes the first line with first and the others with rest,
// trimming trailing white space from every line (Nix's chomp).
func indent(first, rest, s string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.TrimRight(rest+line, " \t\n\r"))
		} else {
			b.WriteString(strings.TrimRight(first+line, " \t\n\r"))
		}
	}
	return b.String()
}
