package eval

import (
	"io"
	"strings"

	"gonix/internal/lang/ast"
)

// PrintJSON writes v for nix-instantiate --json: toJSON's rules, no
// trailing newline; on an error the output produced so far is written
// first, as Nix does.
func (st *State) PrintJSON(w io.Writer, v *Value, strict bool) error {
	var b strings.Builder
	var ctx contextBuilder
	err := st.protect(func() { st.writeJSON(&b, v, strict, &ctx, ast.Pos{}) })
	io.WriteString(w, b.String())
	return err
}
