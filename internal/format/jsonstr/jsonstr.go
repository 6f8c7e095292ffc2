package jsonstr

// Writer is what Write needs: strings.Builder and bytes.Buffer both are.
type Writer interface {
	WriteByte(c byte) error
	WriteString(s string) (int, error)
}

const hexDigits = "0123456789abcdef"

// Write writes s as a quoted JSON string: '"' and '\' escaped, control
// characters as \b \f \n \r \t or \u00XX, every other byte (UTF-8 or not)
// as it is — the way Nix's toJSON, derivation __json and .attrs.json print
// strings.
func Write(w Writer, s string) {
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		if start < i {
			w.WriteString(s[start:i])
		}
		start = i + 1
		switch c {
		case '"':
			w.WriteString(`\"`)
		case '\\':
			w.WriteString(`\\`)
		case '\b':
			w.WriteString(`\b`)
		case '\f':
			w.WriteString(`\f`)
		case '\n':
			w.WriteString(`\n`)
		case '\r':
			w.WriteString(`\r`)
		case '\t':
			w.WriteString(`\t`)
		default:
			w.WriteString(`\u00`)
			w.WriteByte(hexDigits[c>>4])
			w.WriteByte(hexDigits[c&0xf])
		}
	}
	if start < len(s) {
		w.WriteString(s[start:])
	}
	w.WriteByte('"')
}
