package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"gonix/internal/lang/eval"
)

// jsonWriter writes JSON as Nix 2.8's indenting JSONWriter does: every
// member on its own line indented two spaces a level, "key": value, an
// empty object or list as {} or [].
type jsonWriter struct {
	w     *bufio.Writer
	depth int
	first []bool
}

func (j *jsonWriter) open(ch byte) {
	j.w.WriteByte(ch)
	j.depth++
	j.first = append(j.first, true)
}

func (j *jsonWriter) close(ch byte) {
	j.depth--
	if !j.first[len(j.first)-1] {
		j.newline()
	}
	j.first = j.first[:len(j.first)-1]
	j.w.WriteByte(ch)
}

func (j *jsonWriter) newline() {
	j.w.WriteByte('\n')
	j.w.WriteString(strings.Repeat("  ", j.depth))
}

// elem starts the next member of the innermost object or list.
func (j *jsonWriter) elem() {
	if top := len(j.first) - 1; j.first[top] {
		j.first[top] = false
	} else {
		j.w.WriteByte(',')
	}
	j.newline()
}

func (j *jsonWriter) key(k string) {
	j.elem()
	writeNixJSONString(j.w, k)
	j.w.WriteString(": ")
}

// writeNixJSONString escapes as 2.8's toJSON: quote, backslash, \n, \r,
// \t and other control bytes; everything else, UTF-8 included, raw.
func writeNixJSONString(w *bufio.Writer, s string) {
	const hex = "0123456789abcdef"
	w.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			w.WriteByte('\\')
			w.WriteByte(c)
		case c == '\n':
			w.WriteString(`\n`)
		case c == '\r':
			w.WriteString(`\r`)
		case c == '\t':
			w.WriteString(`\t`)
		case c < 32:
			w.WriteString(`\u00`)
			w.WriteByte(hex[c>>4])
			w.WriteByte(hex[c&0xf])
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte('"')
}

// formatNixFloat is C++'s default ostream rendering of a double (%g with
// six significant digits).
func formatNixFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// metaValid is 2.8's DrvInfo::checkMeta: meta values nix-env shows are
// strings, numbers, Booleans and lists and sets (not derivations) of them.
func (u *userEnv) metaValid(v *eval.Value) (bool, error) {
	if err := u.st.Force(v); err != nil {
		return false, err
	}
	switch v.Kind() {
	case eval.KList:
		for _, e := range v.Elems() {
			if ok, err := u.metaValid(e); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case eval.KAttrs:
		if v.Attrs().Get(u.st.Symbols().Intern("outPath")) != nil {
			return false, nil
		}
		for _, a := range v.Attrs().Attrs {
			if ok, err := u.metaValid(a.Val); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case eval.KInt, eval.KBool, eval.KString, eval.KFloat:
		return true, nil
	}
	return false, nil
}

// writeMetaJSON writes a value metaValid accepted.
func (u *userEnv) writeMetaJSON(j *jsonWriter, v *eval.Value) {
	switch v.Kind() {
	case eval.KInt:
		j.w.WriteString(strconv.FormatInt(v.Int(), 10))
	case eval.KBool:
		j.w.WriteString(strconv.FormatBool(v.Bool()))
	case eval.KString:
		writeNixJSONString(j.w, v.StrS())
	case eval.KFloat:
		j.w.WriteString(formatNixFloat(v.Float()))
	case eval.KList:
		j.open('[')
		for _, e := range v.Elems() {
			j.elem()
			u.writeMetaJSON(j, e)
		}
		j.close(']')
	case eval.KAttrs:
		j.open('{')
		for _, a := range u.sortedAttrs(v) {
			j.key(u.st.Symbols().Name(a.Name))
			u.writeMetaJSON(j, a.Val)
		}
		j.close('}')
	}
}

func (u *userEnv) sortedAttrs(v *eval.Value) []eval.Attr {
	attrs := append([]eval.Attr(nil), v.Attrs().Attrs...)
	syms := u.st.Symbols()
	sort.Slice(attrs, func(a, b int) bool { return syms.Name(attrs[a].Name) < syms.Name(attrs[b].Name) })
	return attrs
}

// installedRoot evaluates the profile's manifest.nix again (the list
// queryInstalled read its elements from); nil without a profile.
func (u *userEnv) installedRoot() (*eval.Value, error) {
	env, err := u.currentUserEnv()
	if err != nil || env == "" {
		return nil, err
	}
	mf := u.ls.RealPath(env) + "/manifest.nix"
	t, err := os.Readlink(mf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil && strings.HasPrefix(t, u.ls.StoreDir()+"/") {
		mf = u.ls.RealPath(t)
	}
	expr, err := u.st.ParseFile(mf)
	if err != nil {
		return nil, err
	}
	return u.st.Eval(expr)
}

// drvValueAt finds the derivation elemsOf found at attrPath in root.
func (u *userEnv) drvValueAt(root *eval.Value, attrPath string) (*eval.Value, error) {
	if err := u.st.Force(root); err != nil {
		return nil, err
	}
	if root.Kind() == eval.KList {
		if i, err := strconv.Atoi(attrPath); err == nil && i >= 0 && i < len(root.Elems()) {
			v := root.Elems()[i]
			return v, u.st.Force(v)
		}
	}
	return u.st.FindAlongAttrPath(attrPath, u.st.NewBindings(nil), root)
}

// queryJSON is 2.8's queryJSON: an object keyed by attribute path (the
// manifest index for installed packages) giving name, pname, version,
// system, outputName, every output (its path with --out-path, else
// null) and with --meta the valid meta attributes.
func (u *userEnv) queryJSON(w *bufio.Writer, root *eval.Value, elems []envElem, outPath, meta bool) error {
	j := &jsonWriter{w: w}
	j.open('{')
	for _, el := range elems {
		dv, err := u.drvValueAt(root, el.attrPath)
		if err != nil {
			return err
		}
		j.key(el.attrPath)
		j.open('{')
		pname, version := parseDrvName(el.name)
		for _, kv := range [][2]string{{"name", el.name}, {"pname", pname}, {"version", version}, {"system", el.system}} {
			j.key(kv[0])
			writeNixJSONString(w, kv[1])
		}
		on, err := u.attrString(dv, "outputName")
		if err != nil {
			return err
		}
		j.key("outputName")
		writeNixJSONString(w, on)
		j.key("outputs")
		if err := u.writeOutputsJSON(j, dv, outPath); err != nil {
			return fmt.Errorf("while querying the derivation named '%s': %w", el.name, err)
		}
		if meta {
			if err := u.writeMetaObject(j, dv, el.name); err != nil {
				return fmt.Errorf("while querying the derivation named '%s': %w", el.name, err)
			}
		}
		j.close('}')
	}
	j.close('}')
	w.WriteByte('\n')
	return nil
}

// writeOutputsJSON is DrvInfo::queryOutputs(withPaths) as JSON: the
// outputs list (sorted, as a std::map), or just "out".
func (u *userEnv) writeOutputsJSON(j *jsonWriter, dv *eval.Value, withPaths bool) error {
	type output struct {
		name, path string
		known      bool
	}
	var outs []output
	list, err := u.attr(dv, "outputs")
	if err != nil {
		return err
	}
	if list != nil && list.Kind() == eval.KList {
		for _, e := range list.Elems() {
			if err := u.st.Force(e); err != nil {
				return err
			}
			if e.Kind() != eval.KString {
				return errors.New("an element of 'outputs' is not a string")
			}
			o := output{name: e.StrS()}
			if withPaths {
				ov, err := u.attr(dv, o.name)
				if err != nil {
					return err
				}
				if ov == nil {
					continue
				}
				pv, err := u.attr(ov, "outPath")
				if err != nil || pv == nil {
					if err == nil {
						continue
					}
					return err
				}
				if o.path, err = u.attrString(ov, "outPath"); err != nil {
					return err
				}
				o.known = true
			}
			outs = append(outs, o)
		}
	} else {
		o := output{name: "out"}
		if withPaths {
			if o.path, err = u.attrString(dv, "outPath"); err != nil {
				return err
			}
			o.known = true
		}
		outs = append(outs, o)
	}
	sort.SliceStable(outs, func(a, b int) bool { return outs[a].name < outs[b].name })
	j.open('{')
	seen := map[string]bool{}
	for _, o := range outs {
		if seen[o.name] {
			continue
		}
		seen[o.name] = true
		j.key(o.name)
		if o.known {
			writeNixJSONString(j.w, o.path)
		} else {
			j.w.WriteString("null")
		}
	}
	j.close('}')
	return nil
}

// writeMetaObject writes "meta": every meta attribute, an invalid one as
// null with 2.8's complaint on stderr.
func (u *userEnv) writeMetaObject(j *jsonWriter, dv *eval.Value, name string) error {
	j.key("meta")
	j.open('{')
	m, err := u.attr(dv, "meta")
	if err != nil {
		return err
	}
	if m != nil && m.Kind() == eval.KAttrs {
		for _, a := range u.sortedAttrs(m) {
			k := u.st.Symbols().Name(a.Name)
			j.key(k)
			ok, err := u.metaValid(a.Val)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintf(u.c.e.Stderr, "derivation '%s' has invalid meta attribute '%s'\n", name, k)
				j.w.WriteString("null")
				continue
			}
			u.writeMetaJSON(j, a.Val)
		}
	}
	j.close('}')
	return nil
}
