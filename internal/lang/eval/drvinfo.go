package eval

import (
	"fmt"
	"sort"
	"strconv"

	"gonix/internal/lang/ast"
	"gonix/internal/lazyre"
)

// DrvInfo is a derivation found in a value (Nix's DrvInfo): the attribute
// path it was found at and its attribute set, queried lazily.
type DrvInfo struct {
	st       *State
	AttrPath string
	attrs    Bindings
	name     string
}

// Name is the derivation's name attribute.
func (d *DrvInfo) Name() string { return d.name }

// DrvPath forces the drvPath attribute, writing the .drv to the store; it
// fails when the attribute is missing.
func (d *DrvInfo) DrvPath() (p string, err error) {
	err = d.st.protect(func() {
		a := d.attrs.Get(d.st.sDrvPath)
		if a == nil {
			d.st.fail(ast.Pos{}, "derivation does not contain a 'drvPath' attribute")
		}
		p = d.st.coerceToStorePath(a.Val)
	})
	return p, err
}

// OutputName is the outputName attribute, or "".
func (d *DrvInfo) OutputName() (o string, err error) {
	err = d.st.protect(func() {
		if a := d.attrs.Get(d.st.sOutputName); a != nil {
			o = d.st.forceStringNoCtx(a.Val, ast.Pos{})
		}
	})
	return o, err
}

func (st *State) coerceToStorePath(v *Value) string {
	s := st.coerceToString(ast.Pos{}, v, nil, false, false)
	if !st.store.IsInStore(s) {
		st.fail(ast.Pos{}, "path '%s' is not in the Nix store", s)
	}
	return s
}

// attrNameRE is the attribute names getDerivations descends into.
var attrNameRE = lazyre.New(`^[A-Za-z_][A-Za-z0-9-_+]*$`)

// GetDerivations collects the derivations of v the way nix-instantiate and
// nix-build do (Nix's getDerivations): v itself (after auto-calling), the
// attributes of a set (recursing only into sets with
// recurseForDerivations = true), the elements of a list.
func (st *State) GetDerivations(v *Value, autoArgs *Bindings) (out []*DrvInfo, err error) {
	err = st.protect(func() {
		done := map[*Attr]bool{}
		st.getDerivations(v, "", autoArgs, &out, done)
	})
	return out, err
}

func addToAttrPath(prefix, s string) string {
	if prefix == "" {
		return s
	}
	return prefix + "." + s
}

// getDerivation adds v if it is a derivation and reports whether it was
// not one (so the caller may look inside).
func (st *State) getDerivation(v *Value, attrPath string, out *[]*DrvInfo, done map[*Attr]bool) bool {
	st.force(v, ast.Pos{})
	if !st.isDerivation(v) {
		return true
	}
	b := v.Attrs()
	if done[b.id()] {
		return false
	}
	done[b.id()] = true
	d := &DrvInfo{st: st, AttrPath: attrPath, attrs: b}
	a := b.Get(st.sName)
	if a == nil {
		st.fail(ast.Pos{}, "derivation name missing")
	}
	d.name = st.forceStringNoCtx(a.Val, ast.Pos{})
	*out = append(*out, d)
	return false
}

func (st *State) getDerivations(vIn *Value, prefix string, autoArgs *Bindings, out *[]*DrvInfo, done map[*Attr]bool) {
	vv := st.autoCall(autoArgs, vIn)
	v := &vv
	if !st.getDerivation(v, prefix, out, done) {
		return
	}
	switch v.kind {
	case KAttrs:
		b := v.Attrs()
		if done[b.id()] {
			return
		}
		done[b.id()] = true
		combine := b.Get(st.syms.Intern("_combineChannels")) != nil
		attrs := append([]Attr(nil), b.Attrs...)
		sort.Slice(attrs, func(i, j int) bool { return st.syms.Name(attrs[i].Name) < st.syms.Name(attrs[j].Name) })
		recurse := st.syms.Intern("recurseForDerivations")
		for _, a := range attrs {
			name := st.syms.Name(a.Name)
			if !attrNameRE().MatchString(name) {
				continue
			}
			p2 := addToAttrPath(prefix, name)
			if combine {
				st.getDerivations(a.Val, p2, autoArgs, out, done)
			} else if st.getDerivation(a.Val, p2, out, done) && a.Val.kind == KAttrs {
				if r := a.Val.Attrs().Get(recurse); r != nil && st.forceBool(r.Val, ast.Pos{}) {
					st.getDerivations(a.Val, p2, autoArgs, out, done)
				}
			}
		}
	case KList:
		for i, e := range v.Elems() {
			p2 := addToAttrPath(prefix, strconv.Itoa(i))
			if st.getDerivation(e, p2, out, done) {
				st.getDerivations(e, p2, autoArgs, out, done)
			}
		}
	default:
		throwErr(&Error{Msg: fmt.Sprintf("expression does not evaluate to a derivation (or a set or list of those)")})
	}
}

// OutPath forces the outPath attribute (the selected output's path).
func (d *DrvInfo) OutPath() (p string, err error) {
	err = d.st.protect(func() {
		a := d.attrs.Get(d.st.sOutPath)
		if a == nil {
			d.st.fail(ast.Pos{}, "derivation does not contain an 'outPath' attribute")
		}
		p = d.st.coerceToStorePath(a.Val)
	})
	return p, err
}
