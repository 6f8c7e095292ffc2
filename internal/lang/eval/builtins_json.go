package eval

import (
	"errors"
	"strings"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/jsonparse"
	"gonix/internal/lang/tomlparse"
)

// The serialisation builtins (spec §4.9), in Nix 2.8's registration
// order; fromTOML lives in its own file in Nix and registers last.
var jsonBuiltins = []builtinDef{
	{name: "toXML", arity: 1, fn: primToXML},
	{name: "toJSON", arity: 1, fn: primToJSON},
	{name: "fromJSON", arity: 1, fn: primFromJSON},
	{name: "fromTOML", arity: 1, topLevel: true, fn: primFromTOML},
}

func primToJSON(st *State, pos ast.Pos, args []*Value) Value {
	var b strings.Builder
	// the size of the last result is a good guess (documents of one
	// shape are serialised again and again), and saves regrowing
	b.Grow(st.jsonSizeHint)
	var ctx contextBuilder
	st.writeJSON(&b, args[0], true, &ctx, pos)
	st.jsonSizeHint = min(b.Len(), 64<<20)
	return StringValue(b.String(), ctx.result())
}

func primToXML(st *State, pos ast.Pos, args []*Value) Value {
	var b strings.Builder
	st.writeXMLDoc(&b, args[0], true, false)
	var ctx contextBuilder
	st.xmlContext(args[0], &ctx, map[string]bool{})
	return StringValue(b.String(), ctx.result())
}

// xmlContext collects the string contexts toXML sees. It retraces the
// walk of writeXMLDoc over the (by then forced) value: only strings
// contribute, and a derivation's attributes are visited only the first
// time its drvPath is met.
func (st *State) xmlContext(v *Value, ctx *contextBuilder, drvsSeen map[string]bool) {
	switch v.kind {
	case KString:
		ctx.add(v.Str().Ctx)
	case KAttrs:
		b := v.Attrs()
		if st.isDerivation(v) {
			a := b.Get(st.sDrvPath)
			if a == nil || a.Val.kind != KString || a.Val.StrS() == "" || drvsSeen[a.Val.StrS()] {
				return
			}
			drvsSeen[a.Val.StrS()] = true
		}
		for _, a := range sortedByName(st, b) {
			st.xmlContext(a.Val, ctx, drvsSeen)
		}
	case KList:
		for _, e := range v.Elems() {
			st.xmlContext(e, ctx, drvsSeen)
		}
	}
}

func primFromJSON(st *State, pos ast.Pos, args []*Value) Value {
	s := st.forceStringNoCtx(args[0], pos)
	jv, err := jsonparse.Parse(s)
	if err != nil {
		// nlohmann's exception carries no position; Nix adds a trace line.
		panic(&Error{Msg: err.Error(), Trace: []TraceEntry{{Pos: pos, Msg: "while decoding a JSON string"}}})
	}
	return st.jsonToValue(&jv)
}

func primFromTOML(st *State, pos ast.Pos, args []*Value) Value {
	s := st.forceStringNoCtx(args[0], pos)
	tv, err := tomlparse.Parse(s)
	if err != nil {
		// Dates are refused with Nix's exact text; syntax errors keep the
		// decoder's wording (toml11's is not reproduced), with its line
		// and column.
		msg := err.Error()
		if !errors.Is(err, tomlparse.ErrDates) {
			msg = strings.TrimPrefix(msg, "toml: ")
		}
		st.fail(pos, "while parsing a TOML string: %s", msg)
	}
	return st.jsonToValue(&tv)
}

// jsonToValue converts a parsed document. Object keys are interned in
// document order, as Nix's SAX parser does; a repeated key keeps its
// last value.
func (st *State) jsonToValue(j *jsonparse.Value) Value {
	switch j.Kind {
	case jsonparse.Bool:
		return BoolValue(j.Bool)
	case jsonparse.Int:
		return IntValue(j.Int)
	case jsonparse.Float:
		return FloatValue(j.Float)
	case jsonparse.String:
		return StringValue(j.Str, nil)
	case jsonparse.Array:
		// the elements' cells are one allocation (the list keeps them
		// all alive anyway)
		elems := make([]*Value, len(j.Arr))
		cells := make([]Value, len(j.Arr))
		strs := jsonStrs(len(j.Arr), func(i int) *jsonparse.Value { return &j.Arr[i] })
		for i := range j.Arr {
			if x := &j.Arr[i]; x.Kind == jsonparse.String && len(strs) > 0 {
				strs[0].S = x.Str
				cells[i] = strValue(&strs[0])
				strs = strs[1:]
			} else {
				cells[i] = st.jsonToValue(x)
			}
			elems[i] = &cells[i]
		}
		return ListValue(elems)
	case jsonparse.Object:
		attrs := make([]Attr, 0, len(j.Obj))
		cells := make([]Value, len(j.Obj))
		strs := jsonStrs(len(j.Obj), func(i int) *jsonparse.Value { return &j.Obj[i].Val })
		// a repeated key keeps its first place and takes the last value;
		// small objects are searched, large ones indexed
		var index map[ast.Symbol]int
		if len(j.Obj) > 16 {
			index = make(map[ast.Symbol]int, len(j.Obj))
		}
	members:
		for i := range j.Obj {
			m := &j.Obj[i]
			sym := st.syms.Intern(m.Key)
			if m.Val.Kind == jsonparse.String && len(strs) > 0 {
				strs[0].S = m.Val.Str
				cells[i] = strValue(&strs[0])
				strs = strs[1:]
			} else {
				cells[i] = st.jsonToValue(&m.Val)
			}
			v := &cells[i]
			if index != nil {
				if k, ok := index[sym]; ok {
					attrs[k].Val = v
					continue
				}
				index[sym] = len(attrs)
			} else {
				for k := range attrs {
					if attrs[k].Name == sym {
						attrs[k].Val = v
						continue members
					}
				}
			}
			attrs = append(attrs, Attr{Name: sym, Val: v})
		}
		return mkAttrs(attrs)
	}
	return NullValue()
}

// jsonStrs returns the storage for the string members of a JSON array
// or object of n members (member i is at(i)) in one allocation, or nil
// when there are fewer than two.
func jsonStrs(n int, at func(int) *jsonparse.Value) []Str {
	k := 0
	for i := 0; i < n; i++ {
		if at(i).Kind == jsonparse.String {
			k++
		}
	}
	if k < 2 {
		return nil
	}
	return make([]Str, k)
}
