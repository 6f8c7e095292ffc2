package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  nix-instantiate  ", []string{"nix-instantiate"}},
		{"gonix nix-instantiate", []string{"gonix", "nix-instantiate"}},
		{"--readonly-mode --option substituters ''", []string{"--readonly-mode", "--option", "substituters", ""}},
		{`--option substituters ""`, []string{"--option", "substituters", ""}},
		{`a'b c'd "e \"f\" \\g" h\ i`, []string{"ab cd", `e "f" \g`, "h i"}},
		{`"a\nb"`, []string{`a\nb`}},
		{"tab\tsep\nnl", []string{"tab", "sep", "nl"}},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.in)
		if err != nil {
			t.Errorf("splitArgs(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("splitArgs(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
	for _, bad := range []string{"'open", `"open`, `trailing\`} {
		if got, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q) = %q, want an error", bad, got)
		}
	}
}
