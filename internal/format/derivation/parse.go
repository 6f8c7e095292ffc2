package derivation

import (
	"fmt"
	"strings"
)

// ParseATerm parses a .drv file. It is strict: it accepts exactly the
// texts MarshalATerm produces, so an accepted file re-serialises
// byte-identically. Beyond Nix 2.8's own checks (paths start with '/',
// known hash algorithms, valid fixed-output hashes) it rejects duplicate or
// unsorted outputs, input derivations, input sources and environment
// entries, escapes other than \" \\ \n \r \t, escapes or quotes in the
// fields Nix prints unescaped, non-canonical fixed-output hashes, and
// trailing bytes.
func ParseATerm(b []byte) (*Derivation, error) {
	p := parser{s: string(b)}
	d, err := p.derivation()
	if err != nil {
		return nil, fmt.Errorf("parse derivation: at byte %d: %w", p.pos, err)
	}
	return d, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) expect(lit string) error {
	if !strings.HasPrefix(p.s[p.pos:], lit) {
		return fmt.Errorf("expected string '%s'", lit)
	}
	p.pos += len(lit)
	return nil
}

// peekByte returns the next byte or 0 at the end.
func (p *parser) peekByte() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// next reports whether another list element follows: it consumes ']' (end,
// false) or, after the first element, ','.
func (p *parser) next(first bool) (bool, error) {
	switch c := p.peekByte(); {
	case c == ']':
		p.pos++
		return false, nil
	case first:
		return true, nil
	case c == ',':
		p.pos++
		return true, nil
	}
	return false, fmt.Errorf("expected string ',' or ']'")
}

// str parses an escaped string (builder, args, env).
func (p *parser) str() (string, error) {
	if err := p.expect(`"`); err != nil {
		return "", err
	}
	start := p.pos
	// Fast path: no escapes.
	for i := start; i < len(p.s); i++ {
		switch p.s[i] {
		case '"':
			p.pos = i + 1
			return p.s[start:i], nil
		case '\\':
			return p.slowStr(start)
		case '\n', '\r', '\t':
			p.pos = i
			return "", fmt.Errorf("unescaped control character %q in string", p.s[i])
		}
	}
	p.pos = len(p.s)
	return "", fmt.Errorf("unterminated string")
}

func (p *parser) slowStr(start int) (string, error) {
	var b strings.Builder
	b.Grow(len(p.s) - start)
	for i := start; i < len(p.s); i++ {
		c := p.s[i]
		switch c {
		case '"':
			p.pos = i + 1
			return b.String(), nil
		case '\n', '\r', '\t':
			p.pos = i
			return "", fmt.Errorf("unescaped control character %q in string", c)
		case '\\':
			i++
			if i == len(p.s) {
				break
			}
			switch e := p.s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(e)
			default:
				p.pos = i - 1
				return "", fmt.Errorf("non-canonical escape '\\%c' in string", e)
			}
		default:
			b.WriteByte(c)
		}
	}
	p.pos = len(p.s)
	return "", fmt.Errorf("unterminated string")
}

// raw parses a string Nix prints without escaping (names, paths, hashes,
// system): it may contain neither '"' nor '\\'.
func (p *parser) raw() (string, error) {
	if err := p.expect(`"`); err != nil {
		return "", err
	}
	start := p.pos
	for i := start; i < len(p.s); i++ {
		switch p.s[i] {
		case '"':
			p.pos = i + 1
			return p.s[start:i], nil
		case '\\':
			p.pos = i
			return "", fmt.Errorf("backslash in a field Nix writes unescaped")
		}
	}
	p.pos = len(p.s)
	return "", fmt.Errorf("unterminated string")
}

func (p *parser) path() (string, error) {
	s, err := p.raw()
	if err == nil {
		err = validatePath(s)
	}
	return s, err
}

func validatePath(s string) error {
	if s == "" || s[0] != '/' {
		return fmt.Errorf("bad path '%s' in derivation", s)
	}
	return nil
}

// rawSet parses a list of raw strings that must be strictly increasing.
func (p *parser) rawSet(paths bool) ([]string, error) {
	if err := p.expect("["); err != nil {
		return nil, err
	}
	var out []string
	for first := true; ; first = false {
		more, err := p.next(first)
		if err != nil || !more {
			return out, err
		}
		var s string
		if paths {
			s, err = p.path()
		} else {
			s, err = p.raw()
		}
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && out[len(out)-1] >= s {
			return nil, fmt.Errorf("list entries not sorted or not unique at '%s'", s)
		}
		out = append(out, s)
	}
}

func (p *parser) derivation() (*Derivation, error) {
	d := &Derivation{}
	if err := p.expect("Derive(["); err != nil {
		return nil, err
	}

	d.Outputs = map[string]Output{}
	prev := ""
	for first := true; ; first = false {
		more, err := p.next(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		name, o, err := p.output()
		if err != nil {
			return nil, err
		}
		if !first && prev >= name {
			return nil, fmt.Errorf("outputs not sorted or not unique at '%s'", name)
		}
		prev = name
		d.Outputs[name] = o
	}

	if err := p.expect(",["); err != nil {
		return nil, err
	}
	d.InputDrvs = map[string][]string{}
	prev = ""
	for first := true; ; first = false {
		more, err := p.next(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		drv, err := p.path()
		if err != nil {
			return nil, err
		}
		if !first && prev >= drv {
			return nil, fmt.Errorf("input derivations not sorted or not unique at '%s'", drv)
		}
		prev = drv
		if err := p.expect(","); err != nil {
			return nil, err
		}
		outs, err := p.rawSet(false)
		if err != nil {
			return nil, err
		}
		if outs == nil {
			outs = []string{}
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		d.InputDrvs[drv] = outs
	}

	if err := p.expect(","); err != nil {
		return nil, err
	}
	var err error
	if d.InputSrcs, err = p.rawSet(true); err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	if d.Platform, err = p.raw(); err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	if d.Builder, err = p.str(); err != nil {
		return nil, err
	}

	if err := p.expect(",["); err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		more, err := p.next(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		a, err := p.str()
		if err != nil {
			return nil, err
		}
		d.Args = append(d.Args, a)
	}

	if err := p.expect(",["); err != nil {
		return nil, err
	}
	d.Env = map[string]string{}
	prev = ""
	for first := true; ; first = false {
		more, err := p.next(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if !first && prev >= k {
			return nil, fmt.Errorf("environment not sorted or not unique at '%s'", k)
		}
		prev = k
		if err := p.expect(","); err != nil {
			return nil, err
		}
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		d.Env[k] = v
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("trailing data after derivation")
	}
	return d, nil
}

// output parses ("name","path","hashAlgo","hash") with the checks of Nix's
// parseDerivationOutput plus canonical-form checks.
func (p *parser) output() (string, Output, error) {
	var name string
	var o Output
	fields := [4]*string{&name, &o.Path, &o.HashAlgo, &o.Hash}
	if err := p.expect("("); err != nil {
		return "", o, err
	}
	for i, f := range fields {
		if i > 0 {
			if err := p.expect(","); err != nil {
				return "", o, err
			}
		}
		s, err := p.raw()
		if err != nil {
			return "", o, err
		}
		*f = s
	}
	if err := p.expect(")"); err != nil {
		return "", o, err
	}
	if err := checkOutput(name, o); err != nil {
		return "", o, err
	}
	return name, o, nil
}

func checkOutput(name string, o Output) error {
	if name == "" {
		return fmt.Errorf("empty output name")
	}
	if o.HashAlgo == "" {
		if o.Hash != "" {
			return fmt.Errorf("output '%s' has a hash but no hash algorithm", name)
		}
		if o.Path != "" {
			return validatePath(o.Path)
		}
		return nil
	}
	if o.Hash == "" || o.Hash == "impure" {
		if o.Path != "" {
			return fmt.Errorf("output '%s': a floating or impure output has no path", name)
		}
		_, err := parseMethodAlgo(o.HashAlgo)
		return err
	}
	if err := validatePath(o.Path); err != nil {
		return err
	}
	_, h, err := o.FixedHash()
	if err != nil {
		return err
	}
	if h.Base16() != o.Hash {
		return fmt.Errorf("output '%s': hash '%s' is not in lower-case base16", name, o.Hash)
	}
	return nil
}
