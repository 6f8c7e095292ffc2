package eval

import (
	"fmt"
	"strconv"

	"gonix/internal/lang/ast"
)

// Thunk makes a lazily evaluated cell for e in the base environment.
func (st *State) Thunk(e ast.Expr) *Value {
	return st.newThunk(e, st.baseEnv)
}

// NewBindings sorts attrs into a set's storage.
func (st *State) NewBindings(attrs []Attr) *Bindings {
	sortAttrs(attrs)
	return &Bindings{Attrs: attrs}
}

// FindFileInSearchPath resolves <name> as a file argument of a command.
func (st *State) FindFileInSearchPath(name string) (p string, err error) {
	err = st.protect(func() { p = st.findFile(st.opts.SearchPath, name, ast.Pos{}) })
	return p, err
}

// parseAttrPath splits a -A path at dots; double quotes group.
func parseAttrPath(s string) []string {
	var res []string
	cur := ""
	have := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			res = append(res, cur)
			cur, have = "", false
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				cur += string(s[i])
			}
			have = true
		default:
			cur += string(c)
			have = true
		}
	}
	if cur != "" || have {
		res = append(res, cur)
	}
	return res
}

// FindAlongAttrPath selects attrPath (-A) in v, auto-calling functions on
// the way (Nix's findAlongAttrPath).
func (st *State) FindAlongAttrPath(attrPath string, autoArgs *Bindings, v *Value) (res *Value, err error) {
	err = st.protect(func() {
		for _, attr := range parseAttrPath(attrPath) {
			nv := st.autoCall(autoArgs, v)
			v = &nv
			st.force(v, ast.Pos{})
			idx, ierr := strconv.ParseUint(attr, 10, 32)
			if ierr != nil {
				if v.kind != KAttrs {
					st.fail(ast.Pos{}, "the expression selected by the selection path '%s' should be a set but is %s", attrPath, showType(v))
				}
				if attr == "" {
					st.fail(ast.Pos{}, "empty attribute name in selection path '%s'", attrPath)
				}
				sym := st.syms.Intern(attr)
				a := v.Attrs().Get(sym)
				if a == nil {
					names := make([]string, 0, len(v.Attrs().Attrs))
					for _, x := range v.Attrs().Attrs {
						names = append(names, st.syms.Name(x.Name))
					}
					throwErr(&Error{Msg: fmt.Sprintf("attribute '%s' in selection path '%s' not found", attr, attrPath),
						Suggestions: suggestions(attr, names)})
				}
				v = a.Val
			} else {
				if v.kind != KList {
					st.fail(ast.Pos{}, "the expression selected by the selection path '%s' should be a list but is %s", attrPath, showType(v))
				}
				if idx >= uint64(len(v.Elems())) {
					st.fail(ast.Pos{}, "list index %d in selection path '%s' is out of range", idx, attrPath)
				}
				v = v.Elems()[idx]
			}
		}
		res = v
	})
	return res, err
}

// AutoCall is Nix's autoCallFunction for the final value.
func (st *State) AutoCall(args *Bindings, v *Value) (res *Value, err error) {
	err = st.protect(func() {
		r := st.autoCall(args, v)
		res = &r
	})
	return res, err
}

func (st *State) autoCall(args *Bindings, fn *Value) Value {
	st.force(fn, ast.Pos{})
	if fn.kind == KAttrs {
		if f := fn.Attrs().Get(st.sFunctor); f != nil {
			r := st.callFunction(f.Val, []*Value{fn}, ast.Pos{})
			st.force(&r, ast.Pos{})
			return st.autoCall(args, &r)
		}
	}
	if fn.kind != KLambda || !(*ast.Lambda)(fn.p).HasFormals {
		return *fn
	}
	l := (*ast.Lambda)(fn.p)
	var attrs []Attr
	if l.Ellipsis {
		attrs = append(attrs, args.Attrs...)
	} else {
		for _, f := range l.Formals {
			if a := args.Get(f.Name); a != nil {
				attrs = append(attrs, *a)
			} else if f.Default == nil {
				throwErr(&Error{Pos: f.Pos, Msg: fmt.Sprintf(`cannot evaluate a function that has an argument without a value ('%s')

Nix attempted to evaluate a function as a top level expression; in
this case it must have its arguments supplied either by default
values, or passed explicitly with '--arg' or '--argstr'. See
https://nixos.org/manual/nix/stable/#ss-functions.`, st.syms.Name(f.Name))})
			}
		}
	}
	arg := cell(mkAttrs(attrs))
	return st.callFunction(fn, []*Value{arg}, ast.Pos{})
}
