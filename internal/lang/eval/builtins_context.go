package eval

import (
	"sort"
	"strings"

	"gonix/internal/format/storepath"
	"gonix/internal/lang/ast"
)

var contextBuiltins = []builtinDef{
	{name: "unsafeDiscardStringContext", arity: 1, fn: primUnsafeDiscardStringContext},
	{name: "hasContext", arity: 1, fn: primHasContext},
	{name: "unsafeDiscardOutputDependency", arity: 1, fn: primUnsafeDiscardOutputDependency},
	{name: "getContext", arity: 1, fn: primGetContext},
	{name: "appendContext", arity: 2, fn: primAppendContext},
	{name: "placeholder", arity: 1, topLevel: true, fn: primPlaceholder},
}

func primUnsafeDiscardStringContext(st *State, pos ast.Pos, args []*Value) Value {
	return StringValue(st.coerceToString(pos, args[0], nil, false, true), nil)
}

func primHasContext(st *State, pos ast.Pos, args []*Value) Value {
	return BoolValue(len(st.forceString(args[0], pos).Ctx) > 0)
}

func primUnsafeDiscardOutputDependency(st *State, pos ast.Pos, args []*Value) Value {
	var ctx contextBuilder
	s := st.coerceToString(pos, args[0], &ctx, false, true)
	var out contextBuilder
	for _, c := range ctx.result() {
		out.addOne(strings.TrimPrefix(c, "="))
	}
	return StringValue(s, out.result())
}

func primGetContext(st *State, pos ast.Pos, args []*Value) Value {
	type info struct {
		path, all bool
		outputs   []string
	}
	infos := map[string]*info{}
	var keys []string
	for _, c := range st.forceString(args[0], pos).Ctx {
		key, out := c, ""
		isPath, isAll := true, false
		switch {
		case strings.HasPrefix(c, "="):
			key, isPath, isAll = c[1:], false, true
		case strings.HasPrefix(c, "!"):
			i := strings.IndexByte(c[1:], '!')
			out, key, isPath = c[1:1+i], c[2+i:], false
		}
		in := infos[key]
		if in == nil {
			in = &info{}
			infos[key] = in
			keys = append(keys, key)
		}
		switch {
		case isPath:
			in.path = true
		case isAll:
			in.all = true
		default:
			in.outputs = append(in.outputs, out)
		}
	}
	sort.Strings(keys)
	attrs := make([]Attr, 0, len(keys))
	for _, k := range keys {
		in := infos[k]
		var ia []Attr
		if in.path {
			ia = append(ia, st.attr("path", BoolValue(true)))
		}
		if in.all {
			ia = append(ia, st.attr("allOutputs", BoolValue(true)))
		}
		if len(in.outputs) > 0 {
			elems := make([]*Value, len(in.outputs))
			for i, o := range in.outputs {
				elems[i] = cell(StringValue(o, nil))
			}
			ia = append(ia, Attr{Name: st.sOutputs, Val: cell(ListValue(elems))})
		}
		attrs = append(attrs, st.attr(k, mkAttrs(ia)))
	}
	return mkAttrs(attrs)
}

func primAppendContext(st *State, pos ast.Pos, args []*Value) Value {
	s := st.forceString(args[0], pos)
	var ctx contextBuilder
	ctx.add(s.Ctx)
	sPath, sAll := st.syms.Intern("path"), st.syms.Intern("allOutputs")
	for _, a := range st.forceAttrs(args[1], pos).Attrs {
		name := st.syms.Name(a.Name)
		apos := st.attrPosOr(&a, pos)
		if !storepath.IsStorePath(st.store.StoreDir(), name) {
			st.fail(apos, "Context key '%s' is not a store path", quoteIdent(name))
		}
		b := st.forceAttrs(a.Val, apos)
		if x := b.Get(sPath); x != nil && st.forceBool(x.Val, apos) {
			ctx.addOne(name)
		}
		if x := b.Get(sAll); x != nil && st.forceBool(x.Val, apos) {
			if !strings.HasSuffix(name, ".drv") {
				st.fail(apos, "Tried to add all-outputs context of %s, which is not a derivation, to a string", quoteIdent(name))
			}
			ctx.addOne("=" + name)
		}
		if x := b.Get(st.sOutputs); x != nil {
			outs := st.forceList(x.Val, apos)
			if len(outs) > 0 && !strings.HasSuffix(name, ".drv") {
				st.fail(apos, "Tried to add derivation output context of %s, which is not a derivation, to a string", quoteIdent(name))
			}
			for _, o := range outs {
				ctx.addOne("!" + st.forceStringNoCtx(o, apos) + "!" + name)
			}
		}
	}
	return StringValue(s.S, ctx.result())
}

func primPlaceholder(st *State, pos ast.Pos, args []*Value) Value {
	return StringValue(storepath.Placeholder(st.forceStringNoCtx(args[0], pos)), nil)
}

// quoteIdent renders a symbol as Nix 2.8's formatter does inside some
// messages: bare when it is an identifier, else as a quoted string.
func quoteIdent(s string) string {
	var b stringsBuilder
	writeAttrName(&b, s)
	return b.String()
}
