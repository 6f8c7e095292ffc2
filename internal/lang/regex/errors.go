package regex

import "errors"

// ErrInvalid is wrapped by every syntax error from Compile; Nix reports it
// as "invalid regular expression '<re>'".
var ErrInvalid = errors.New("invalid regular expression")

// ErrMemoryLimit is wrapped when the compiled automaton would exceed
// libstdc++'s limit of 100000 states (regex_constants::error_space); Nix
// reports it as "memory limit exceeded by regular expression '<re>'".
var ErrMemoryLimit = errors.New("memory limit exceeded by regular expression")

// errCode mirrors the std::regex_constants::error_type that libstdc++
// throws; only the distinction error_space / everything else is visible
// to Nix users.
type errCode uint8

const (
	errCollate errCode = iota + 1
	errCtype
	errEscape
	errBrack
	errParen
	errBrace
	errBadBrace
	errRange
	errSpace
	errBadRepeat
	errNull
)

var errDetail = [...]string{
	errCollate:   "invalid collating element or equivalence class",
	errCtype:     "invalid character class",
	errEscape:    "invalid escape",
	errBrack:     "unmatched '['",
	errParen:     "unmatched '(' or ')'",
	errBrace:     "unmatched '{'",
	errBadBrace:  "invalid content of '{...}'",
	errRange:     "invalid range in '[...]'",
	errSpace:     "more than 100000 automaton states",
	errBadRepeat: "repetition of nothing",
	errNull:      "NUL byte in pattern",
}

func (c errCode) Error() string {
	if int(c) < len(errDetail) && errDetail[c] != "" {
		return c.Unwrap().Error() + ": " + errDetail[c]
	}
	return c.Unwrap().Error()
}

func (c errCode) Unwrap() error {
	if c == errSpace {
		return ErrMemoryLimit
	}
	return ErrInvalid
}
