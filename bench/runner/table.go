package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits are the acceptance thresholds for the ratios A/B.
type Limits struct {
	Wall float64 // largest acceptable median wall-time ratio
	RSS  float64 // largest acceptable median peak-RSS ratio
}

// Row is the outcome of one workload: the per-run samples of both commands,
// or the reason the comparison failed.
type Row struct {
	Workload string
	AWall    []float64 // seconds, one per timed run
	BWall    []float64
	ACPU     []float64 // user + system seconds, one per timed run
	BCPU     []float64
	ARSS     []float64 // peak RSS in KiB, one per timed run
	BRSS     []float64
	Err      error // a failed run or differing output; the row then fails
}

// median returns the middle value of xs (the mean of the two middle values
// for an even count), or NaN for an empty slice. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratio returns a/b, or NaN when b is not positive (no meaningful ratio).
func ratio(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return a / b
}

// WallRatio is the ratio of the median wall times, A over B.
func (r Row) WallRatio() float64 { return ratio(median(r.AWall), median(r.BWall)) }

// RSSRatio is the ratio of the median peak RSS, A over B.
func (r Row) RSSRatio() float64 { return ratio(median(r.ARSS), median(r.BRSS)) }

// Verdict is "ok" when both ratios are within the limits, otherwise it names
// what failed. A NaN ratio (no samples) never passes.
func (r Row) Verdict(l Limits) string {
	if r.Err != nil {
		return "FAIL: " + oneLine(r.Err.Error())
	}
	var bad []string
	if w := r.WallRatio(); !(w <= l.Wall) {
		bad = append(bad, fmt.Sprintf("slow (> %.2f)", l.Wall))
	}
	if m := r.RSSRatio(); !(m <= l.RSS) {
		bad = append(bad, fmt.Sprintf("memory (> %.2f)", l.RSS))
	}
	if len(bad) == 0 {
		return "ok"
	}
	return strings.Join(bad, ", ")
}

// OK reports whether the row passes.
func (r Row) OK(l Limits) bool { return r.Verdict(l) == "ok" }

// writeTable prints rows as a Markdown table; a and b label the two commands.
// With cpu, three more columns show the median CPU time (user + system) and
// its ratio: informative only, since on a busy machine it varies less than
// wall time, but it never decides the verdict.
func writeTable(w io.Writer, a, b string, rows []Row, l Limits, cpu bool) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "| workload | %s median s | %s median s | ratio %s/%s wall | %s peak RSS MiB | %s peak RSS MiB | ratio RSS |",
		a, b, a, b, a, b)
	if cpu {
		fmt.Fprintf(&sb, " %s cpu s | %s cpu s | ratio cpu |", a, b)
	}
	sb.WriteString(" verdict |\n|---|---:|---:|---:|---:|---:|---:|")
	if cpu {
		sb.WriteString("---:|---:|---:|")
	}
	sb.WriteString("---|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s |",
			r.Workload,
			num(median(r.AWall), 3), num(median(r.BWall), 3), num(r.WallRatio(), 2),
			num(median(r.ARSS)/1024, 1), num(median(r.BRSS)/1024, 1), num(r.RSSRatio(), 2))
		if cpu {
			fmt.Fprintf(&sb, " %s | %s | %s |", num(median(r.ACPU), 3), num(median(r.BCPU), 3),
				num(ratio(median(r.ACPU), median(r.BCPU)), 2))
		}
		fmt.Fprintf(&sb, " %s |\n", escapeCell(r.Verdict(l)))
	}
	_, err := io.WriteString(w, sb.String())
	if err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// num formats x with prec decimals, or "–" when it is not a number.
func num(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if n := 120; len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// escapeCell keeps a message from breaking the Markdown table.
func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
