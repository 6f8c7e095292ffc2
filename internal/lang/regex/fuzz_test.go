package regex

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzRegex(f *testing.F) {
	for _, g := range goldenCases {
		for _, s := range g.subjects {
			if len(g.re) < 40 {
				f.Add(g.re, s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, re, s string) {
		quantifiers := strings.Count(re, "*") + strings.Count(re, "+") + strings.Count(re, "?") + strings.Count(re, "{")
		if len(re) > 40 || len(s) > 256 || bigCount(re) || quantifiers > 5 || strings.Count(re, "{") > 1 {
			// libstdc++'s semantics stay exponential in the nesting of
			// loops that can iterate empty (Nix hangs on those too);
			// bound the work.
			return
		}
		r, err := Compile(re)
		if err != nil {
			return
		}
		if emptyLoop(r) && (len(s) > 3 || quantifiers > 3) {
			return // a loop that can iterate empty: exponential in libstdc++ (and here)
		}
		groups, ok := r.Match(s)
		if ok && len(groups) != r.NumGroups() {
			t.Fatalf("Match(%q, %q): %d groups, want %d", re, s, len(groups), r.NumGroups())
		}
		ms := r.FindAll(s)
		prevEnd, prevEmptyAt := 0, -1
		for i, m := range ms {
			if m.Start < prevEnd || m.End < m.Start || m.End > len(s) {
				t.Fatalf("FindAll(%q, %q): match %d [%d,%d) after %d", re, s, i, m.Start, m.End, prevEnd)
			}
			if m.Start == m.End && m.Start == prevEmptyAt {
				t.Fatalf("FindAll(%q, %q): two empty matches at %d", re, s, m.Start)
			}
			if len(m.Groups) != r.NumGroups() {
				t.Fatalf("FindAll(%q, %q): %d groups, want %d", re, s, len(m.Groups), r.NumGroups())
			}
			prevEnd, prevEmptyAt = m.End, -1
			if m.Start == m.End {
				prevEmptyAt = m.Start
			}
		}
		// The memo must not change any answer: compare with plain
		// backtracking where that stays cheap.
		if len(re) <= 12 && len(s) <= 6 && quantifiers <= 3 {
			plain, _ := Compile(re)
			plain.noMemo = true
			if d := cmp.Diff(ours(plain, s), ours(r, s)); d != "" {
				t.Fatalf("%q on %q: memo changes the answer (-plain +memo):\n%s", re, s, d)
			}
		}
	})
}

// bigCount reports whether re has a repetition count above 3.
func bigCount(re string) bool {
	n := 0
	for i := 0; i < len(re); i++ {
		if c := re[i]; c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
			if n > 3 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// emptyLoop reports whether some repeat of r can come back to itself
// without consuming a byte.
func emptyLoop(r *Regexp) bool {
	states := r.prog.states
	for i, st := range states {
		if st.op != opRepeat {
			continue
		}
		seen := make([]bool, len(states))
		stack := []int32{st.alt}
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if u < 0 || seen[u] {
				continue
			}
			if int(u) == i {
				return true
			}
			seen[u] = true
			switch x := states[u]; x.op {
			case opChar, opSet, opAny, opAccept:
			case opAlternative, opRepeat:
				stack = append(stack, x.next, x.alt)
			default:
				stack = append(stack, x.next)
			}
		}
	}
	return false
}
