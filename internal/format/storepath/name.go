package storepath

import "fmt"

// MaxNameLen is the longest name Nix 2.8 accepts in a store path.
const MaxNameLen = 211

// NameErrorKind says which rule a store path name broke.
type NameErrorKind uint8

// The name rules of spec/store.md §2.2.
const (
	EmptyName NameErrorKind = iota + 1
	NameTooLong
	IllegalChar
)

// NameError is an invalid store path name. Its text is Nix's, which names
// the whole base name "<hash>-<name>": the constructors and parsers of
// this package fill in Base; a caller of ValidateName that knows the hash
// part can set Base = hashPart + "-" + name before printing.
type NameError struct {
	Base string // the base name to print; Name if empty
	Name string
	Kind NameErrorKind
	Char byte // the offending byte for IllegalChar
}

func (e *NameError) Error() string {
	p := e.Base
	if p == "" {
		p = e.Name
	}
	switch e.Kind {
	case EmptyName:
		return fmt.Sprintf("store path '%s' has an empty name", p)
	case NameTooLong:
		return fmt.Sprintf("store path '%s' has a name longer than %d characters", p, MaxNameLen)
	default:
		return fmt.Sprintf("store path '%s' contains illegal character '%s'", p, string([]byte{e.Char}))
	}
}

// validNameChar is the set [A-Za-z0-9+-._?=].
var validNameChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "+-._?=" {
		t[c] = true
	}
	return t
}()

// ValidateName checks a store path name against Nix 2.8's rules: 1 to 211
// bytes from [A-Za-z0-9+-._?=]. Names starting with '.' (even "." and
// "..") are accepted, as 2.8 does. The error is a *NameError.
func ValidateName(name string) error {
	if e := checkName(name); e != nil {
		return e
	}
	return nil
}

func checkName(name string) *NameError {
	if name == "" {
		return &NameError{Name: name, Kind: EmptyName}
	}
	if len(name) > MaxNameLen {
		return &NameError{Name: name, Kind: NameTooLong}
	}
	for i := 0; i < len(name); i++ {
		if !validNameChar[name[i]] {
			return &NameError{Name: name, Kind: IllegalChar, Char: name[i]}
		}
	}
	return nil
}
