package eval

import (
	"io"

	"gonix/internal/lang/ast"
)

// PrintJSON writes v for nix-instantiate --json: toJSON's rules, no
// trailing newline; on an error the output produced so far is written
// first, as Nix does.
func (st *State) PrintJSON(w io.Writer, v *Value, strict bool) error {
	var b jsonBuf
	var ctx contextBuilder
	err := st.protect(func() { st.writeJSONTo(&b, v, strict, &ctx, ast.Pos{}) })
	for _, c := range b.done {
		w.Write(c)
	}
	w.Write(b.cur)
	return err
}
