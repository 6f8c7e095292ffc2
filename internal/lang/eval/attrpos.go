package eval

import "gonix/internal/lang/ast"

// attrPos gives the position an attribute carries, nil for none.
func (st *State) attrPos(p AttrPos) *ast.Pos { return st.positions[p] }

// posNumber gives p a number, once: *id caches it in the syntax tree
// (ast.AttrDef.PosID and the like).
func (st *State) posNumber(p *ast.Pos, id *int32) AttrPos {
	if *id == 0 {
		*id = int32(len(st.positions))
		st.positions = append(st.positions, p)
	}
	return AttrPos(*id)
}

// defPos is the position number of a set's or let's attribute.
func (st *State) defPos(d *ast.AttrDef) AttrPos { return st.posNumber(&d.Pos, &d.PosID) }
