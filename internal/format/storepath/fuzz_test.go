package storepath

import "testing"

// FuzzParse: Parse never panics, and what it accepts prints back to the
// same text and parses again to the same path.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny",
		"/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny/sub/file",
		"/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-",
		"/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-.hidden",
		"/nix/store/../etc/passwd",
		"/nix/store//dybb1h978b7js39x24iib8bs70c3zazl-x",
		"relative",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse("/nix/store", s)
		if err != nil {
			return
		}
		if err := ValidateName(p.Name); err != nil {
			t.Fatalf("Parse(%q) accepted name %q that ValidateName refuses: %v", s, p.Name, err)
		}
		q, err := Parse("/nix/store", p.String())
		if err != nil || q != p {
			t.Fatalf("Parse(%q) = %+v, but its text %q parses to %+v, %v", s, p, p.String(), q, err)
		}
		if !IsStorePath("/nix/store", p.String()) {
			t.Fatalf("IsStorePath(%q) = false for a parsed path", p.String())
		}
	})
}
