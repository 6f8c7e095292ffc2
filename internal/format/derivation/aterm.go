package derivation

import (
	"slices"
)

// MarshalATerm returns the .drv text of d exactly as Nix 2.8 writes it
// (spec/store.md §3.1–3.4): no whitespace, no trailing newline, outputs,
// input derivations, input sources and environment sorted bytewise, input
// sources and output-name lists deduplicated.
func (d *Derivation) MarshalATerm() []byte {
	return d.AppendATerm(nil)
}

// AppendATerm appends the .drv text of d to dst.
func (d *Derivation) AppendATerm(dst []byte) []byte {
	return d.appendATerm(dst, nil, false)
}

// ModuloATerm returns the text hashDerivationModulo hashes: d's ATerm
// with the input derivations replaced by inputs (keys are the lower-case
// hex hashModulo of each input, values the outputs used) and, if mask is
// set, every output path and every environment value whose key is an
// output name replaced by "" (spec/store.md §3.6).
func (d *Derivation) ModuloATerm(inputs map[string][]string, mask bool) []byte {
	if inputs == nil {
		inputs = map[string][]string{}
	}
	return d.appendATerm(nil, inputs, mask)
}

// appendATerm writes d; a non-nil inputs replaces d.InputDrvs.
func (d *Derivation) appendATerm(b []byte, inputs map[string][]string, mask bool) []byte {
	drvs := d.InputDrvs
	if inputs != nil {
		drvs = inputs
	}
	if b == nil {
		b = make([]byte, 0, d.sizeHint(drvs))
	}
	b = append(b, "Derive(["...)

	var keyBuf [16]string
	names := sortedKeys(keyBuf[:0], d.Outputs)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		o := d.Outputs[name]
		b = append(b, '(')
		b = appendRaw(b, name)
		b = append(b, ',')
		if mask {
			b = append(b, `""`...)
		} else {
			b = appendRaw(b, o.Path)
		}
		b = append(b, ',')
		b = appendRaw(b, o.HashAlgo)
		b = append(b, ',')
		b = appendRaw(b, o.Hash)
		b = append(b, ')')
	}

	b = append(b, "],["...)
	var drvBuf [32]string
	for i, p := range sortedKeys(drvBuf[:0], drvs) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		b = appendRaw(b, p)
		b = append(b, ',')
		b = appendRawSet(b, drvs[p])
		b = append(b, ')')
	}

	b = append(b, "],"...)
	b = appendRawSet(b, d.InputSrcs)
	b = append(b, ',')
	b = appendRaw(b, d.Platform)
	b = append(b, ',')
	b = appendEscaped(b, d.Builder)
	b = append(b, ",["...)
	for i, a := range d.Args {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEscaped(b, a)
	}

	b = append(b, "],["...)
	var envBuf [64]string
	for i, k := range sortedKeys(envBuf[:0], d.Env) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		b = appendEscaped(b, k)
		b = append(b, ',')
		if _, isOutput := d.Outputs[k]; mask && isOutput {
			b = append(b, `""`...)
		} else {
			b = appendEscaped(b, d.Env[k])
		}
		b = append(b, ')')
	}
	b = append(b, "])"...)
	return b
}

// sizeHint estimates the ATerm length so that it is built in one
// allocation (escapes may add a little).
func (d *Derivation) sizeHint(drvs map[string][]string) int {
	n := 64 + len(d.Platform) + len(d.Builder)
	for k, o := range d.Outputs {
		n += len(k) + len(o.Path) + len(o.HashAlgo) + len(o.Hash) + 12
	}
	for k, outs := range drvs {
		n += len(k) + 8
		for _, o := range outs {
			n += len(o) + 3
		}
	}
	for _, s := range d.InputSrcs {
		n += len(s) + 3
	}
	for _, a := range d.Args {
		n += len(a) + 3
	}
	for k, v := range d.Env {
		n += len(k) + len(v) + 8
	}
	return n + n/64
}

func sortedKeys[V any](buf []string, m map[string]V) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// appendRaw is Nix's printUnquotedString: quotes, no escaping.
func appendRaw(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendRawSet prints a list of raw strings sorted and deduplicated (a
// std::set in Nix), copying only when the input is not already canonical.
func appendRawSet(b []byte, ss []string) []byte {
	if !sortedUnique(ss) {
		ss = slices.Clone(ss)
		slices.Sort(ss)
		ss = slices.Compact(ss)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRaw(b, s)
	}
	return append(b, ']')
}

func sortedUnique(ss []string) bool {
	for i := 1; i < len(ss); i++ {
		if ss[i-1] >= ss[i] {
			return false
		}
	}
	return true
}

// needsEscape marks the bytes Nix's printString escapes.
var needsEscape = [256]bool{'"': true, '\\': true, '\n': true, '\r': true, '\t': true}

// appendEscaped is Nix's printString: escapes '"', '\\', LF, CR and TAB
// and copies every other byte raw.
func appendEscaped(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape[c] {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', c)
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
