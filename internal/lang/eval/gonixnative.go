package eval

import (
	"gonix/internal/lang/ast"
)

// The embedded corelib's native helpers: the module system's hottest
// data shuffling (properties pushed down, definitions discharged and
// filtered by priority), written in Go.
//
// The embedded lib imports them from lib/native.nix, which importGonix
// answers with nativeLib's set; the file itself is an empty set, so a lib
// read from disk (-I gonix=DIR) keeps the Nix definitions it passes as
// fallbacks. Each helper takes its Nix definition as first argument and
// computes only the well-formed case: anything else (a missing attribute,
// a value of the wrong type, an error while forcing) undoes what it forced
// (as tryEval does) and calls the Nix definition, which then fails or
// succeeds exactly as it would have alone. The helpers force no more than
// the Nix definitions force, in places in another order (lists the Nix
// code builds lazily are built at once; docs/design/module-system.md).

// nativeName is the embedded file importGonix replaces by nativeLib.
const nativeName = "lib/native.nix"

// nativeSyms are the attribute names the helpers use.
type nativeSyms struct {
	typ, file, value, priority, content, contents, condition ast.Symbol
	values, highestPrio, underFile, config                   ast.Symbol
	options, pos, results, undeclared, isOption, unmatched   ast.Symbol
	prefix                                                   ast.Symbol
	attrPos                                                  *PrimOp               // builtins.unsafeGetAttrPos
	attrPosFns                                               map[ast.Symbol]*Value // see attrPosOf
	// cells of the _type strings the helpers build
	ifStr, overrideStr *Value
}

func (st *State) nsyms() *nativeSyms {
	if st.native == nil {
		in := st.syms.Intern
		st.native = &nativeSyms{
			typ: in("_type"), file: in("file"), value: in("value"), priority: in("priority"),
			content: in("content"), contents: in("contents"), condition: in("condition"),
			values: in("values"), highestPrio: in("highestPrio"), underFile: in("_file"), config: in("config"),
			options: in("options"), pos: in("pos"), results: in("results"), undeclared: in("undeclared"),
			isOption: in("isOption"), unmatched: in("unmatchedDefns"), prefix: in("prefix"),
			ifStr:       cell(StringValue("if", nil)),
			overrideStr: cell(StringValue("override", nil)),
		}
		if a := st.builtins.Attrs().Get(in("unsafeGetAttrPos")); a != nil && a.Val.kind == KPrimOp {
			st.native.attrPos = (*PrimOp)(a.Val.p)
		}
	}
	return st.native
}

// nativeLib is the set lib/native.nix stands for in the embedded lib.
func (st *State) nativeLib() *Value {
	ops := []*PrimOp{
		{Name: "defsFinal", Arity: 2, Fn: primDefsFinal},
		{Name: "pushDownProperties", Arity: 2, Fn: primPushDown},
		{Name: "pushDownModules", Arity: 2, Fn: primPushDownModules},
		{Name: "pushDownDefs", Arity: 2, Fn: primPushDownDefs},
		{Name: "defsByName", Arity: 2, Fn: primDefsByName},
		{Name: "reverseList", Arity: 1, Fn: primReverseList},
		{Name: "declTrees", Arity: 2, Fn: primDeclTrees},
		{Name: "unmatchedDefns", Arity: 2, Fn: primUnmatchedDefns},
	}
	attrs := make([]Attr, len(ops))
	for i, op := range ops {
		attrs[i] = Attr{Name: st.syms.Intern(op.Name), Val: cell(primOpValue(op))}
	}
	return cell(mkAttrs(attrs))
}

// nativeBail is the panic of a helper that leaves the case to the Nix
// definition.
type nativeBail struct{}

// nativeOr runs f; if it bails out or an evaluation error escapes it, the
// evaluator's state is restored and the Nix definition fallback is called
// with arg instead.
func (st *State) nativeOr(fallback, arg *Value, pos ast.Pos, f func() Value) (v Value) {
	m := st.mark()
	done := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				switch r.(type) {
				case nativeBail, *Error:
					st.unwindTo(m)
				default:
					panic(r)
				}
			}
		}()
		v = f()
		done = true
	}()
	if done {
		return v
	}
	return st.callFunction(fallback, []*Value{arg}, pos)
}

func bail() { panic(nativeBail{}) }

// get returns the cell of attribute sym of the forced value v, bailing
// out when v is not a set or has no such attribute.
func (ns *nativeSyms) get(v *Value, sym ast.Symbol) *Value {
	if v.kind != KAttrs {
		bail()
	}
	a := v.Attrs().Get(sym)
	if a == nil {
		bail()
	}
	return a.Val
}

// nativeSetAttr forces x and its attribute sym and returns that
// attribute's value, bailing out unless both are sets (where the Nix
// definitions throw).
func (st *State) nativeSetAttr(x *Value, sym ast.Symbol, pos ast.Pos) *Value {
	st.force(x, pos)
	v := st.native.get(x, sym)
	st.force(v, pos)
	if v.kind != KAttrs {
		bail()
	}
	return v
}

// propType is `v._type or ""` of the forced v compared as Nix's == would:
// the string, "" when v is no set or has no _type, and has reports
// whether v is a set with a _type at all (a _type that is no string
// compares unequal to every name: "\x00" stands for it).
func (st *State) propType(v *Value, pos ast.Pos) (t string, has bool) {
	if v.kind != KAttrs {
		return "", false
	}
	a := v.Attrs().Get(st.native.typ)
	if a == nil {
		return "", false
	}
	st.force(a.Val, pos)
	if a.Val.kind != KString {
		return "\x00", true
	}
	return a.Val.StrS(), true
}

// primPushDown is pushDownProperties (modules.nix): mkMerge flattened,
// mkIf and mkOverride pushed into the attributes of their contents.
func primPushDown(st *State, pos ast.Pos, args []*Value) Value {
	st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		return ListValue(st.pushDown(args[1], nil, pos))
	})
}

func (st *State) pushDown(cfg *Value, out []*Value, pos ast.Pos) []*Value {
	ns := st.native
	st.force(cfg, pos)
	t, _ := st.propType(cfg, pos)
	switch t {
	case "merge":
		cs := ns.get(cfg, ns.contents)
		for _, c := range st.forceList(cs, pos) {
			out = st.pushDown(c, out, pos)
		}
		return out
	case "if", "override":
		// (the inner values are forced: cfg itself at the bottom, or
		// sets made here)
		inner := st.pushDown(ns.get(cfg, ns.content), nil, pos)
		tag, arg, argSym := ns.ifStr, (*Value)(nil), ns.condition
		if t == "override" {
			tag, argSym = ns.overrideStr, ns.priority
		}
		arg = ns.get(cfg, argSym)
		for _, x := range inner {
			if x.kind == KAttrs {
				x = cell(st.wrapProps(x.Attrs(), tag, argSym, arg))
			}
			out = append(out, x)
		}
		return out
	}
	return append(out, cfg)
}

// primPushDownModules is pushDownModulesNix (modules.nix): every
// module's config pushed down, as { file = m._file; config; }.
func primPushDownModules(st *State, pos ast.Pos, args []*Value) Value {
	ns := st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		return st.pushDownEach(args[1], ns.underFile, ns.config, pos)
	})
}

// primPushDownDefs is pushDownDefsNix (modules.nix): every definition's
// value pushed down, as { file; config; }.
func primPushDownDefs(st *State, pos ast.Pos, args []*Value) Value {
	ns := st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		return st.pushDownEach(args[1], ns.file, ns.value, pos)
	})
}

// pushDownEach is concatMap (x: map (c: { file = x.fileSym; config = c; })
// (pushDownProperties x.valueSym)) of the list xs.
func (st *State) pushDownEach(xs *Value, fileSym, valueSym ast.Symbol, pos ast.Pos) Value {
	ns := st.native
	var out []*Value
	for _, x := range st.forceList(xs, pos) {
		st.force(x, pos)
		v := ns.get(x, valueSym)
		var file *Value
		for _, c := range st.pushDown(v, nil, pos) {
			if file == nil {
				file = ns.get(x, fileSym)
			}
			out = append(out, setCell2(Attr{Name: ns.file, Val: file}, Attr{Name: ns.config, Val: c}))
		}
	}
	return ListValue(out)
}

// primDefsByName is defsByNameNix (modules.nix): the definitions
// { file; config; } grouped by attribute name of their config, as
// { name = [ { file; value; } … ]; }.
func primDefsByName(st *State, pos ast.Pos, args []*Value) Value {
	ns := st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		var names []ast.Symbol
		groups := map[ast.Symbol][]*Value{}
		for _, c := range st.forceList(args[1], pos) {
			attrs := st.nativeSetAttr(c, ns.config, pos).Attrs().Attrs
			if len(attrs) == 0 {
				continue
			}
			file := ns.get(c, ns.file)
			for _, a := range attrs {
				d := setCell2(Attr{Name: ns.file, Val: file}, Attr{Name: ns.value, Val: a.Val})
				g, seen := groups[a.Name]
				if !seen {
					names = append(names, a.Name)
				}
				groups[a.Name] = append(g, d)
			}
		}
		nb := newBindings(len(names), len(names))
		for i, n := range names {
			nb.Attrs[i] = Attr{Name: n, Val: cell(ListValue(groups[n]))}
		}
		sortAttrs(nb.Attrs)
		return AttrsValue(nb)
	})
}

// primReverseList is reverseList (modules.nix): the same cells in the
// opposite order.
func primReverseList(st *State, pos ast.Pos, args []*Value) Value {
	xs := st.forceList(args[0], pos)
	out := make([]*Value, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return ListValue(out)
}

// primDeclTrees is declTreesNix (modules.nix): every module's option
// declarations of one level, as { name = { _file; pos; options; }; }
// with pos = unsafeGetAttrPos name tree, left lazy.
func primDeclTrees(st *State, pos ast.Pos, args []*Value) Value {
	ns := st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		if ns.attrPos == nil {
			bail()
		}
		ms := st.forceList(args[1], pos)
		out := make([]*Value, len(ms))
		for i, m := range ms {
			tree := st.nativeSetAttr(m, ns.options, pos)
			attrs := tree.Attrs().Attrs
			nb := newBindings(len(attrs), len(attrs))
			var file *Value
			if len(attrs) > 0 {
				file = ns.get(m, ns.underFile)
			}
			for j, a := range attrs {
				// pos = unsafeGetAttrPos name tree, pending
				pos := cell(appValue(st.attrPosOf(a.Name), tree))
				d := setCell3(Attr{Name: ns.underFile, Val: file}, Attr{Name: ns.pos, Val: pos}, Attr{Name: ns.options, Val: a.Val})
				nb.Attrs[j] = Attr{Name: a.Name, Pos: a.Pos, Val: d}
			}
			out[i] = cell(AttrsValue(nb))
		}
		return ListValue(out)
	})
}

// attrPosOf is the function `unsafeGetAttrPos name`, one per name.
func (st *State) attrPosOf(name ast.Symbol) *Value {
	ns := st.native
	if f := ns.attrPosFns[name]; f != nil {
		return f
	}
	app := &struct {
		a    PrimOpApp
		args [1]*Value
		fn   Value
	}{}
	app.args[0] = st.nameCell(name)
	app.a = PrimOpApp{Op: ns.attrPos, Args: app.args[:]}
	app.fn = primOpAppValue(&app.a)
	if ns.attrPosFns == nil {
		ns.attrPosFns = make(map[ast.Symbol]*Value)
	}
	ns.attrPosFns[name] = &app.fn
	return &app.fn
}

// primUnmatchedDefns is unmatchedDefnsNix (modules.nix): the definitions
// of one level that match no option, each with its prefix, in name order.
func primUnmatchedDefns(st *State, pos ast.Pos, args []*Value) Value {
	ns := st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		st.force(args[1], pos)
		results, undeclared := ns.get(args[1], ns.results), ns.get(args[1], ns.undeclared)
		st.force(results, pos)
		st.force(undeclared, pos)
		if results.kind != KAttrs || undeclared.kind != KAttrs {
			bail()
		}
		// attrNames (results // undeclared): the names in string order
		all := updateAttrs(*results, *undeclared)
		var out []*Value
		for _, a := range sortedByName(st, all.Attrs()) {
			var defs *Value
			if r := results.Attrs().Get(a.Name); r != nil {
				st.force(r.Val, pos)
				isOpt := ns.get(r.Val, ns.isOption)
				st.force(isOpt, pos)
				if isOpt.kind != KBool {
					bail()
				}
				if isOpt.Bool() {
					continue
				}
				defs = ns.get(r.Val, ns.unmatched)
			} else {
				defs = a.Val
			}
			for _, d := range st.forceList(defs, pos) {
				// d // { prefix = [ name ] ++ (d.prefix or [ ]); }
				st.force(d, pos)
				if d.kind != KAttrs {
					bail()
				}
				prefix := []*Value{st.nameCell(a.Name)}
				if p := d.Attrs().Get(ns.prefix); p != nil {
					st.force(p.Val, pos)
					if p.Val.kind != KList {
						bail()
					}
					prefix = append(prefix, p.Val.Elems()...)
				}
				out = append(out, withAttr(d.Attrs(), ns.prefix, cell(ListValue(prefix))))
			}
		}
		return ListValue(out)
	})
}

// wrapProps is mapAttrs (n: v: { _type = tag; argSym = arg; content = v; }) b.
func (st *State) wrapProps(b Bindings, tag *Value, argSym ast.Symbol, arg *Value) Value {
	ns := st.native
	nb := newBindings(len(b.Attrs), len(b.Attrs))
	for i, a := range b.Attrs {
		w := setCell3(Attr{Name: ns.typ, Val: tag}, Attr{Name: argSym, Val: arg}, Attr{Name: ns.content, Val: a.Val})
		nb.Attrs[i] = Attr{Name: a.Name, Pos: a.Pos, Val: w}
	}
	return AttrsValue(nb)
}

// primDefsFinal is defsFinalNix (modules.nix): an option's definitions
// with their properties discharged, filtered to the highest priority and
// sorted by order, as { values; highestPrio; }.
func primDefsFinal(st *State, pos ast.Pos, args []*Value) Value {
	st.nsyms()
	return st.nativeOr(args[0], args[1], pos, func() Value {
		return st.defsFinal(args[1], pos)
	})
}

const (
	defaultOverridePriority = 100
	defaultOrderPriority    = 1000
)

func (st *State) defsFinal(defsV *Value, pos ast.Pos) Value {
	ns := st.native
	defs := st.forceList(defsV, pos)
	// a definition's value, forced
	valueOf := func(d *Value) *Value {
		st.force(d, pos)
		v := ns.get(d, ns.value)
		st.force(v, pos)
		return v
	}
	if len(defs) == 1 {
		if _, has := st.propType(valueOf(defs[0]), pos); !has {
			return st.finalSet(defsV, IntValue(defaultOverridePriority))
		}
	}
	plain := true // only plain values and mkOverride at the top
	for _, d := range defs {
		if t, has := st.propType(valueOf(d), pos); has && t != "override" {
			plain = false
			break
		}
	}
	var values []*Value
	var highest *Value
	if plain {
		ps := make([]*Value, len(defs))
		ds := make([]*Value, len(defs))
		dflt := cell(IntValue(defaultOverridePriority))
		for i, d := range defs {
			v := valueOf(d)
			if _, has := st.propType(v, pos); has {
				ps[i] = ns.get(v, ns.priority)
				ds[i] = st.withValue(d, ns.get(v, ns.content))
			} else {
				ps[i], ds[i] = dflt, d
			}
		}
		if len(defs) == 0 {
			highest = cell(IntValue(9999))
		} else {
			// head (sort lessThan ps): sort forces every element first
			for _, p := range ps {
				st.force(p, pos)
			}
			highest = ps[0]
			for _, p := range ps[1:] {
				if st.lessThan(p, highest, pos) {
					highest = p
				}
			}
		}
		for i, p := range ps {
			if st.eqValues(p, highest, pos) {
				values = append(values, ds[i])
			}
		}
	} else {
		var normal []*Value
		for _, m := range defs {
			mv := valueOf(m)
			var file *Value
			for _, v := range st.discharge(mv, nil, pos) {
				if t, _ := st.propType(v, pos); t == "definition" {
					normal = append(normal, v)
					continue
				}
				if file == nil {
					file = ns.get(m, ns.file)
				}
				normal = append(normal, setCell2(Attr{Name: ns.file, Val: file}, Attr{Name: ns.value, Val: v}))
			}
		}
		// filterOverrides'
		prios := make([]*Value, len(normal))
		dflt := cell(IntValue(defaultOverridePriority))
		for i, d := range normal {
			v := valueOf(d)
			if t, _ := st.propType(v, pos); t == "override" {
				prios[i] = ns.get(v, ns.priority)
			} else {
				prios[i] = dflt
			}
		}
		highest = cell(IntValue(9999))
		for _, q := range prios {
			if st.lessThan(q, highest, pos) {
				highest = q
			}
		}
		for i, d := range normal {
			if !st.eqValues(prios[i], highest, pos) {
				continue
			}
			if v := valueOf(d); prios[i] != dflt {
				if t, _ := st.propType(v, pos); t == "override" {
					d = st.withValue(d, ns.get(v, ns.content))
				}
			}
			values = append(values, d)
		}
	}
	// sortProperties when any value is an mkOrder
	ordered := false
	for _, d := range values {
		if t, _ := st.propType(valueOf(d), pos); t == "order" {
			ordered = true
			break
		}
	}
	if ordered {
		values = st.sortProps(values, pos)
	}
	return st.finalSet(cell(ListValue(values)), *highest)
}

// discharge is dischargeProperties (modules.nix) of the forced def.
func (st *State) discharge(def *Value, out []*Value, pos ast.Pos) []*Value {
	ns := st.native
	t, _ := st.propType(def, pos)
	switch t {
	case "merge":
		for _, c := range st.forceList(ns.get(def, ns.contents), pos) {
			st.force(c, pos)
			out = st.discharge(c, out, pos)
		}
		return out
	case "if":
		c := ns.get(def, ns.condition)
		st.force(c, pos)
		if c.kind != KBool {
			bail() // the Nix definition throws
		}
		if !c.Bool() {
			return out
		}
		content := ns.get(def, ns.content)
		st.force(content, pos)
		return st.discharge(content, out, pos)
	}
	return append(out, def)
}

// withValue is d // { value = v; } for the forced set d.
func (st *State) withValue(d, v *Value) *Value {
	return withAttr(d.Attrs(), st.native.value, v)
}

// sortProps is sortProperties (modules.nix): mkOrder stripped into a
// priority, then a stable sort by it.
func (st *State) sortProps(defs []*Value, pos ast.Pos) []*Value {
	ns := st.native
	out := make([]*Value, len(defs))
	keys := make([]*Value, len(defs))
	dflt := cell(IntValue(defaultOrderPriority))
	for i, d := range defs {
		v := ns.get(d, ns.value)
		if t, _ := st.propType(v, pos); t == "order" {
			prio := ns.get(v, ns.priority)
			out[i] = withAttr(withAttr(d.Attrs(), ns.value, ns.get(v, ns.content)).Attrs(), ns.priority, prio)
			keys[i] = prio
		} else {
			out[i] = d
			if a := d.Attrs().Get(ns.priority); a != nil {
				keys[i] = a.Val
			} else {
				keys[i] = dflt
			}
		}
	}
	for _, k := range keys {
		st.force(k, pos)
	}
	// stable insertion sort: definition lists are short
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
		for j := i; j > 0 && st.lessThan(keys[idx[j]], keys[idx[j-1]], pos); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	sorted := make([]*Value, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted
}

// setCell2 returns a cell holding the set of attributes a and b, all in
// one allocation.
func setCell2(a, b Attr) *Value {
	x := &struct {
		v Value
		a [2]Attr
	}{}
	if b.Name < a.Name {
		a, b = b, a
	}
	x.a = [2]Attr{a, b}
	x.v = AttrsValue(Bindings{Attrs: x.a[:]})
	return &x.v
}

// setCell3 is setCell2 for three attributes.
func setCell3(a, b, c Attr) *Value {
	x := &struct {
		v Value
		a [3]Attr
	}{}
	x.a = [3]Attr{a, b, c}
	sortAttrs(x.a[:])
	x.v = AttrsValue(Bindings{Attrs: x.a[:]})
	return &x.v
}

// withAttr returns a cell holding b // { name = v; }.
func withAttr(b Bindings, name ast.Symbol, v *Value) *Value {
	attrs := make([]Attr, 0, len(b.Attrs)+1)
	i := 0
	for i < len(b.Attrs) && b.Attrs[i].Name < name {
		i++
	}
	attrs = append(attrs, b.Attrs[:i]...)
	attrs = append(attrs, Attr{Name: name, Val: v})
	if i < len(b.Attrs) && b.Attrs[i].Name == name {
		i++
	}
	attrs = append(attrs, b.Attrs[i:]...)
	return cell(AttrsValue(Bindings{Attrs: attrs}))
}

// finalSet is { values = values; highestPrio = highest; }.
func (st *State) finalSet(values *Value, highest Value) Value {
	ns := st.native
	return *setCell2(Attr{Name: ns.values, Val: values}, Attr{Name: ns.highestPrio, Val: cell(highest)})
}
