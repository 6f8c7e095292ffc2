package main

import (
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{0.3, 0.1, 0.9, 0.2, 0.25, 0.4, 0.35}, 0.3},
		{[]float64{2, 2, 2, 9}, 2},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := median(in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if diff := cmp.Diff(tt.in, in); diff != "" {
			t.Errorf("median modified its input (-before +after):\n%s", diff)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(1.5, 3); got != 0.5 {
		t.Errorf("ratio(1.5, 3) = %v, want 0.5", got)
	}
	for _, b := range []float64{0, -1, math.NaN()} {
		if got := ratio(1, b); !math.IsNaN(got) {
			t.Errorf("ratio(1, %v) = %v, want NaN", b, got)
		}
	}
}

func TestVerdict(t *testing.T) {
	l := Limits{Wall: 1.0, RSS: 1.5}
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"faster and smaller", Row{AWall: []float64{1, 2, 3}, BWall: []float64{2, 3, 4}, ARSS: []float64{100}, BRSS: []float64{100}}, "ok"},
		{"exactly at both limits", Row{AWall: []float64{2}, BWall: []float64{2}, ARSS: []float64{150}, BRSS: []float64{100}}, "ok"},
		{"slower", Row{AWall: []float64{2.1}, BWall: []float64{2}, ARSS: []float64{100}, BRSS: []float64{100}}, "slow (> 1.00)"},
		{"bigger", Row{AWall: []float64{1}, BWall: []float64{2}, ARSS: []float64{151}, BRSS: []float64{100}}, "memory (> 1.50)"},
		{"both", Row{AWall: []float64{3}, BWall: []float64{2}, ARSS: []float64{400}, BRSS: []float64{100}}, "slow (> 1.00), memory (> 1.50)"},
		// The median, not the mean, decides: one outlier does not fail a row.
		{"outlier", Row{AWall: []float64{0.9, 0.9, 50}, BWall: []float64{1, 1, 1}, ARSS: []float64{1, 1, 1}, BRSS: []float64{1, 1, 1}}, "ok"},
		{"no samples", Row{}, "slow (> 1.00), memory (> 1.50)"},
		{"error", Row{AWall: []float64{1}, BWall: []float64{2}, ARSS: []float64{1}, BRSS: []float64{1}, Err: errors.New("A: exit status 1\nmore")}, "FAIL: A: exit status 1 …"},
	}
	for _, tt := range tests {
		if got := tt.row.Verdict(l); got != tt.want {
			t.Errorf("%s: Verdict = %q, want %q", tt.name, got, tt.want)
		}
		if got, want := tt.row.OK(l), tt.want == "ok"; got != want {
			t.Errorf("%s: OK = %v, want %v", tt.name, got, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	rows := []Row{
		{
			Workload: "fib27",
			AWall:    []float64{0.05, 0.04, 0.06},
			BWall:    []float64{0.1, 0.09, 0.11},
			ARSS:     []float64{10240, 20480, 30720},
			BRSS:     []float64{68096, 68096, 68096},
		},
		{
			Workload: "sort",
			AWall:    []float64{0.5},
			BWall:    []float64{0.25},
			ARSS:     []float64{102400},
			BRSS:     []float64{102400},
		},
		{Workload: "json", Err: errors.New("outputs differ: A printed \"a|b\"")},
	}
	var sb strings.Builder
	if err := writeTable(&sb, "gonix", "nix", rows, Limits{Wall: 1, RSS: 1.5}, false); err != nil {
		t.Fatal(err)
	}
	want := `| workload | gonix median s | nix median s | ratio gonix/nix wall | gonix peak RSS MiB | nix peak RSS MiB | ratio RSS | verdict |
|---|---:|---:|---:|---:|---:|---:|---|
| fib27 | 0.050 | 0.100 | 0.50 | 20.0 | 66.5 | 0.30 | ok |
| sort | 0.500 | 0.250 | 2.00 | 100.0 | 100.0 | 1.00 | slow (> 1.00) |
| json | – | – | – | – | – | – | FAIL: outputs differ: A printed "a\|b" |
`
	if diff := cmp.Diff(want, sb.String()); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
}

func TestOneLineKeepsUTF8(t *testing.T) {
	// Byte 120 falls inside a two-byte rune.
	s := "x" + strings.Repeat("é", 100)
	got := oneLine(s)
	if !strings.HasSuffix(got, "…") || !utf8.ValidString(got) || len(got) > 124 {
		t.Errorf("oneLine(%d bytes) = %q, want at most 120 bytes of whole runes and an ellipsis", len(s), got)
	}
}

func TestWriteTableCPU(t *testing.T) {
	rows := []Row{{
		Workload: "fib27",
		AWall:    []float64{1}, BWall: []float64{2},
		ACPU: []float64{0.3, 0.1, 0.2}, BCPU: []float64{0.4, 0.4, 0.5},
		ARSS: []float64{1024}, BRSS: []float64{1024},
	}}
	var sb strings.Builder
	if err := writeTable(&sb, "a", "b", rows, Limits{Wall: 1, RSS: 1.5}, true); err != nil {
		t.Fatal(err)
	}
	want := `| workload | a median s | b median s | ratio a/b wall | a peak RSS MiB | b peak RSS MiB | ratio RSS | a cpu s | b cpu s | ratio cpu | verdict |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
| fib27 | 1.000 | 2.000 | 0.50 | 1.0 | 1.0 | 1.00 | 0.200 | 0.400 | 0.50 | ok |
`
	if diff := cmp.Diff(want, sb.String()); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
}
