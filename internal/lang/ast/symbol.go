package ast

// Symbol is an interned name. Its numeric value is the order in which the
// name was first interned; Nix 2.8 keeps attribute sets sorted by symbol
// identity and that order leaks (deep forcing, ==, --parse), so the
// evaluator interns names in the same order Nix does (spec/language.md
// Appendix B) and sorts attributes by Symbol.
type Symbol int32

// NoSymbol marks an absent name (e.g. a lambda without an argument name).
const NoSymbol Symbol = -1

// Symbols interns names. It is owned by one evaluator; it is not safe for
// concurrent use.
type Symbols struct {
	names []string
	index map[string]Symbol
}

// NewSymbols returns an empty table.
func NewSymbols() *Symbols {
	return &Symbols{index: make(map[string]Symbol, 1024)}
}

// Intern returns the symbol of name, creating it if needed.
func (t *Symbols) Intern(name string) Symbol {
	if s, ok := t.index[name]; ok {
		return s
	}
	s := Symbol(len(t.names))
	t.names = append(t.names, name)
	t.index[name] = s
	return s
}

// Lookup returns the symbol of name if it was interned.
func (t *Symbols) Lookup(name string) (Symbol, bool) {
	s, ok := t.index[name]
	return s, ok
}

// Name returns the text of s.
func (t *Symbols) Name(s Symbol) string {
	if s < 0 || int(s) >= len(t.names) {
		return ""
	}
	return t.names[s]
}

// Len is the number of interned names.
func (t *Symbols) Len() int { return len(t.names) }
