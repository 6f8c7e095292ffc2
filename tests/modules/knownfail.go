package modules

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// LoadKnownFailures reads the known-failures list: one case name per line,
// optionally followed by a reason; '#' starts a comment line. Every listed
// name must be a case of the corpus in dir; the result holds the listed
// names among cases (the ones being run).
func LoadKnownFailures(file, dir string, cases []*Case) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("known failures: %w", err)
	}
	names := map[string]bool{}
	for _, c := range cases {
		names[c.Name] = true
	}
	all, err := allCaseNames(dir)
	if err != nil {
		return nil, err
	}
	known := map[string]string{}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, reason, _ := strings.Cut(l, " ")
		if !all[name] {
			return nil, fmt.Errorf("known failures %s:%d: no case %q in the corpus (remove the line)", file, i+1, name)
		}
		if names[name] {
			known[name] = strings.TrimSpace(reason)
		}
	}
	return known, nil
}

func allCaseNames(dir string) (map[string]bool, error) {
	cases, err := LoadCases(dir)
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, c := range cases {
		m[c.Name] = true
	}
	return m, nil
}

// WriteKnownFailures replaces the list with names (sorted).
func WriteKnownFailures(file string, names []string) error {
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# Corpus cases gonix does not pass yet (TestCorpus enforces this list both ways:\n")
	b.WriteString("# a listed case that passes fails the test). Regenerate with\n")
	b.WriteString("#   go test ./tests/modules -run TestCorpus -update-known\n")
	for _, n := range names {
		b.WriteString(n + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("known failures: %w", err)
	}
	return nil
}
