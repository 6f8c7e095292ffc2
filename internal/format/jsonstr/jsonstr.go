package jsonstr

// Writer is what Write needs: strings.Builder and bytes.Buffer both are.
type Writer interface {
	WriteByte(c byte) error
	WriteString(s string) (int, error)
}

const hexDigits = "0123456789abcdef"

// Write writes s as a quoted JSON string the way nlohmann::json's dump
// does (fetcher attributes in messages, .attrs.json): '"' and '\' escaped,
// control characters as \b \f \n \r \t or \u00XX, every other byte
// (UTF-8 or not) as it is.
func Write(w Writer, s string) { write(w, s, true) }

// WriteNix writes s as Nix 2.8's own JSON writer (json.cc: builtins.toJSON,
// a structured derivation's __json) does: like Write, except that only \n,
// \r and \t have short escapes — \b and \f are \u0008 and \u000c.
func WriteNix(w Writer, s string) { write(w, s, false) }

func write(w Writer, s string, shortBF bool) {
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
			if !shortBF {
				w.WriteString(`\u0008`)
				break
			}
			w.WriteString(`\b`)
		case '\f':
			if !shortBF {
				w.WriteString(`\u000c`)
				break
			}
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
