package regex

import (
	"context"
	"flag"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var diffSeed = flag.Uint64("regex.seed", 1, "seed of TestNixDifferential's random patterns")

// randomPattern builds a small ERE over the alphabet {a, b, c}, with the
// constructs whose interplay decides libstdc++'s submatches.
func randomPattern(rng *rand.Rand, depth int) string {
	var b strings.Builder
	n := 1 + rng.IntN(3)
	for i := 0; i < n; i++ {
		b.WriteString(randomTerm(rng, depth))
	}
	if depth > 0 && rng.IntN(4) == 0 {
		b.WriteString("|")
		if rng.IntN(5) > 0 {
			b.WriteString(randomPattern(rng, depth-1))
		}
	}
	return b.String()
}

func randomTerm(rng *rand.Rand, depth int) string {
	var atom string
	switch k := rng.IntN(12); {
	case k < 4:
		atom = string("abc"[rng.IntN(3)])
	case k == 4:
		atom = "."
	case k == 5:
		atom = []string{"[ab]", "[^a]", "[a-b]", "[[:alpha:]]", "[]a]", "[^]c]"}[rng.IntN(6)]
	case k == 6:
		return []string{"^", "$"}[rng.IntN(2)]
	default:
		if depth == 0 {
			atom = "a"
		} else {
			atom = "(" + randomPattern(rng, depth-1) + ")"
		}
	}
	switch rng.IntN(8) {
	case 0:
		atom += "*"
	case 1:
		atom += "+"
	case 2:
		atom += "?"
	case 3:
		atom += []string{"{2}", "{0,1}", "{1,2}", "{0,}", "{2,}", "{0}"}[rng.IntN(6)]
	}
	return atom
}

func randomSubject(rng *rand.Rand) string {
	n := rng.IntN(7)
	b := make([]byte, n)
	for i := range b {
		b[i] = "aabbc"[rng.IntN(5)]
	}
	return string(b)
}

// TestNixDifferential runs random patterns and subjects through real Nix
// and this package and compares every answer.
func TestNixDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real Nix")
	}
	nix := needNix(t)
	rng := rand.New(rand.NewPCG(*diffSeed, 7))
	var res, subjects []string
	var invalid []string
	for len(res) < 1600 {
		re := randomPattern(rng, 3)
		if _, err := Compile(re); err != nil {
			if len(invalid) < 20 {
				invalid = append(invalid, re)
			}
			continue
		}
		for i := 0; i < 4; i++ {
			res = append(res, re)
			subjects = append(subjects, randomSubject(rng))
		}
	}
	ctx := context.Background()
	for _, re := range invalid {
		e, err := nixCompileError(ctx, nix, re)
		if err != nil {
			t.Fatal(err)
		}
		if e == "" {
			_, ourErr := Compile(re)
			t.Errorf("Compile(%q) = %v; Nix accepts it", re, ourErr)
		}
	}
	outs, err := nixOutcomes(ctx, nix, res, subjects)
	if err != nil {
		t.Fatalf("nix rejected a pattern this package accepts: %v", err)
	}
	bad := 0
	for i := range res {
		r, _ := Compile(res[i])
		got := ours(r, subjects[i])
		d := cmp.Diff(outs[i], got)
		if d != "" {
			t.Errorf("%q on %q (-nix +ours):\n%s", res[i], subjects[i], d)
			if bad++; bad > 20 {
				t.Fatal("too many differences")
			}
		}
	}
}
