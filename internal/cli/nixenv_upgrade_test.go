package cli

import "testing"

// TestCompareVersions pins 2.8's compareVersions on the cases its
// manual and tests name.
func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "2.3", -1},
		{"2.1", "2.3", -1},
		{"2.3", "2.3", 0},
		{"2.5", "2.3", 1},
		{"3.1", "2.3", 1},
		{"2.3.1", "2.3", 1},
		{"2.3.1", "2.3a", 1},
		{"2.3pre1", "2.3", -1},
		{"2.3pre3", "2.3pre12", -1},
		{"2.3a", "2.3c", -1},
		{"2.3pre1", "2.3c", -1},
		{"2.3pre1", "2.3q", -1},
		{"1.0", "1.0.0", -1},
		{"", "1", -1},
		{"1-2", "1.2", 0},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := compareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestFilterBySelector(t *testing.T) {
	all := []envElem{{name: "foo-1.0"}, {name: "bar-2.0"}, {name: "foo-2.0"}}
	got, err := filterBySelector(all, []string{"foo", "*"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.name)
	}
	if w := "foo-1.0 foo-2.0 bar-2.0"; joinSpace(names) != w {
		t.Errorf("got %q, want %q", joinSpace(names), w)
	}
	if _, err := filterBySelector(all, []string{"nosuch"}); err == nil || err.Error() != "selector 'nosuch' matches no derivations" {
		t.Errorf("nosuch: %v", err)
	}
}

func joinSpace(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
