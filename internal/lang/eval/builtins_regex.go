package eval

import (
	"gonix/internal/lang/ast"
	"gonix/internal/lang/regex"
)

var regexBuiltins = []builtinDef{
	{name: "match", arity: 2, fn: primMatch},
	{name: "split", arity: 2, fn: primSplit},
}

func (st *State) compileRegex(re string, pos ast.Pos) *regex.Regexp {
	if r, ok := st.regexes[re]; ok {
		return r
	}
	r, err := regex.Compile(re)
	if err != nil {
		st.fail(pos, "invalid regular expression '%s'", re)
	}
	if st.regexes == nil {
		st.regexes = make(map[string]*regex.Regexp)
	}
	st.regexes[re] = r
	return r
}

func groupsValue(gs []regex.Group) Value {
	elems := make([]*Value, len(gs))
	for i, g := range gs {
		if g.OK {
			elems[i] = cell(StringValue(g.S, nil))
		} else {
			elems[i] = cell(NullValue())
		}
	}
	return ListValue(elems)
}

func primMatch(st *State, pos ast.Pos, args []*Value) Value {
	re := st.forceStringNoCtx(args[0], pos)
	r := st.compileRegex(re, pos)
	s := st.forceString(args[1], pos).S
	gs, ok := r.Match(s)
	if !ok {
		return NullValue()
	}
	return groupsValue(gs)
}

func primSplit(st *State, pos ast.Pos, args []*Value) Value {
	re := st.forceStringNoCtx(args[0], pos)
	r := st.compileRegex(re, pos)
	s := st.forceString(args[1], pos).S
	ms := r.FindAll(s)
	if len(ms) == 0 {
		return ListValue([]*Value{cell(StringValue(s, nil))})
	}
	out := make([]*Value, 0, 2*len(ms)+1)
	prev := 0
	for _, m := range ms {
		out = append(out, cell(StringValue(s[prev:m.Start], nil)))
		out = append(out, cell(groupsValue(m.Groups)))
		prev = m.End
	}
	out = append(out, cell(StringValue(s[prev:], nil)))
	return ListValue(out)
}
