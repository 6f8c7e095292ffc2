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
// every line it logs goes through eval.FilterANSIEscapes: on a non-terminal the
// colour codes are dropped, and tabs become spaces up to the next multiple
// of 8 columns everywhere.
func printEvalError(w io.Writer, err error, showTrace bool, program string) int {
	tty := isTerminal(w)
	logLine := func(s string) { fmt.Fprintln(w, eval.FilterANSIEscapes(s, !tty)) }
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

// logError prints "error: msg" as Nix's logger prints any error: through
// filterANSIEscapes, keeping colour codes only when w is a terminal.
func logError(w io.Writer, msg string) {
	fmt.Fprintln(w, eval.FilterANSIEscapes("error: "+msg, !isTerminal(w)))
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
