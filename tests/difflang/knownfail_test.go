package difflang

import (
	"fmt"
	"os"
	"strings"
)

// knownFailures maps "archive/case/mode" to the reason it may disagree.
type knownFailures map[string]string

// loadKnownFailures reads lines "ARCHIVE/CASE MODE REASON…" ('#' starts a
// comment line; MODE "*" stands for all six modes).
func loadKnownFailures(file string, cases []*testCase) (knownFailures, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("known failures: %w", err)
	}
	ids := map[string]bool{}
	for _, c := range cases {
		ids[c.id()] = true
	}
	kf := knownFailures{}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 3 {
			return nil, fmt.Errorf("known failures %s:%d: want ARCHIVE/CASE MODE REASON", file, i+1)
		}
		if !ids[f[0]] {
			return nil, fmt.Errorf("known failures %s:%d: no case %q in the corpus (remove the line)", file, i+1, f[0])
		}
		reason := strings.Join(f[2:], " ")
		var names []string
		if f[1] == "*" {
			for _, m := range modes {
				names = append(names, m.name)
			}
		} else if modeByName(f[1]) != nil {
			names = []string{f[1]}
		} else {
			return nil, fmt.Errorf("known failures %s:%d: unknown mode %q", file, i+1, f[1])
		}
		for _, m := range names {
			kf[f[0]+"/"+m] = reason
		}
	}
	return kf, nil
}
