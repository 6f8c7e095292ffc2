package ast

import "unsafe"

// Expr is a node of the syntax tree. The concrete types are the pointer
// types below; the evaluator switches on them.
type Expr interface {
	Position() Pos
	// CodeSlot is where the evaluator keeps its compiled form of the
	// node (see Code).
	CodeSlot() *unsafe.Pointer
}

// Code is embedded in every node: a slot the evaluator fills with the
// node's compiled form on first evaluation. The syntax tree is otherwise
// never changed after resolving. The slots the evaluator owns (Code, the
// literals' Cache, Lambda.BodyCode) are untyped pointers, not interfaces:
// a word less in every node (the evaluator knows what it put there).
type Code struct{ code unsafe.Pointer }

// CodeSlot returns the slot.
func (c *Code) CodeSlot() *unsafe.Pointer { return &c.code }

// Scoping (filled in by package resolve, used by the evaluator):
//
// Every construct that introduces names creates one run-time environment
// frame with a fixed number of slots:
//
//   - the base environment: one slot per base name (builtins and __names);
//   - let: one slot per binding, in Attrs.Attrs order;
//   - rec { }: one slot per static attribute, in Attrs.Attrs order;
//   - a lambda: a simple argument has one slot; with formals, one slot per
//     formal in Formals order, then one for the @-name if present;
//   - with: one slot holding the (lazily evaluated) attribute set.
//
// A lexical variable is found Up frames out, at Slot. A variable without
// a lexical binding is looked up at run time in the with frames: Up is
// the distance to the innermost with frame, and each With node records
// in PrevWith the distance from its frame to the next outer with frame
// (0: none).

// Int is an integer literal.
type Int struct {
	Code
	Pos   Pos
	Val   int64
	Cache unsafe.Pointer // the evaluator's shared constant cell (Nix shares literal values)
}

// Float is a float literal.
type Float struct {
	Code
	Pos   Pos
	Val   float64
	Cache unsafe.Pointer // see Int.Cache
}

// String is a string constant (no interpolation).
type String struct {
	Code
	Pos   Pos
	Val   string
	Cache unsafe.Pointer // see Int.Cache
}

// Path is a path literal already made absolute and canonical.
type Path struct {
	Code
	Pos   Pos
	Val   string
	Cache unsafe.Pointer // see Int.Cache
}

// Var is a variable reference.
type Var struct {
	Code
	Pos      Pos
	Name     Symbol
	FromWith bool // no lexical binding: look up in with frames
	Base     bool // bound in the base frame (a builtin)
	Up       int  // frames to walk out (to the binding, or to the innermost with)
	Slot     int  // slot in that frame (lexical only)
}

// AttrName is one component of an attribute path: static (Expr == nil)
// or dynamic (`${e}` or an interpolated string).
type AttrName struct {
	Sym  Symbol
	Expr Expr
}

// Select is `E.a.b` or `E.a.b or Default`.
type Select struct {
	Code
	Pos     Pos
	E       Expr
	Path    []AttrName
	Default Expr // nil without `or`
}

// HasAttr is `E ? a.b`.
type HasAttr struct {
	Code
	Pos  Pos
	E    Expr
	Path []AttrName
}

// AttrDef is one static attribute of a set literal or let.
type AttrDef struct {
	Name  Symbol
	PosID int32 // the evaluator's number for Pos (0: none given yet)
	// Inherited: plain `inherit x;`, Value is evaluated in the enclosing scope
	Inherited bool
	// InheritFrom: `inherit (e) x;`, Value is a Select of e, whose e the
	// other attributes inherited from it in the same statement share
	InheritFrom bool
	Value       Expr
	Pos         Pos // position of the attribute (see spec Appendix C)
}

// DynAttr is a dynamic attribute `${Name} = Value;`.
type DynAttr struct {
	Name  Expr
	Value Expr
	Pos   Pos
	PosID int32 // see AttrDef.PosID
}

// Attrs is a set literal `{ … }` / `rec { … }`; also the bindings of let.
// Attrs are sorted by Symbol (Nix's internal order).
type Attrs struct {
	Code
	Pos     Pos
	Rec     bool
	Attrs   []AttrDef
	Dynamic []DynAttr
}

// Find returns the index of the static attribute sym, or -1.
func (a *Attrs) Find(sym Symbol) int {
	lo, hi := 0, len(a.Attrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a.Attrs[m].Name < sym {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(a.Attrs) && a.Attrs[lo].Name == sym {
		return lo
	}
	return -1
}

// List is a list literal.
type List struct {
	Code
	Pos   Pos
	Elems []Expr
}

// Formal is one `name` or `name ? default` of a lambda pattern.
type Formal struct {
	Pos     Pos
	Name    Symbol
	PosID   int32 // see AttrDef.PosID
	Default Expr  // nil when required
}

// Lambda is a function literal.
type Lambda struct {
	Code
	Pos        Pos
	Arg        Symbol // simple argument or the @-name; NoSymbol if none
	Name       Symbol // name of the binding it was defined in; NoSymbol if anonymous
	HasFormals bool
	Ellipsis   bool
	Formals    []Formal // sorted by Symbol (Nix's internal order)
	Body       Expr
	// A chain of simple-argument lambdas `a: b: c: body` shares one frame
	// (filled in by package resolve): FrameSize is the number of slots
	// (the chain's length) and ChainPos this lambda's argument slot. A
	// lambda with ChainPos > 0 is closed over its chain's frame holding
	// the slots before ChainPos; calling it makes a new frame with those
	// slots copied. Lambdas with formals have FrameSize 0.
	FrameSize, ChainPos int
	// BodyCode is the evaluator's compiled Body, kept here too so that a
	// call reaches it without going through Body's interface.
	BodyCode unsafe.Pointer
}

// FormalIndex returns the index of formal sym, or -1.
func (l *Lambda) FormalIndex(sym Symbol) int {
	lo, hi := 0, len(l.Formals)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.Formals[m].Name < sym {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(l.Formals) && l.Formals[lo].Name == sym {
		return lo
	}
	return -1
}

// Call is an application chain `Fn A1 A2 …`.
type Call struct {
	Code
	Pos  Pos
	Fn   Expr
	Args []Expr
}

// Let is `let … in Body`. Attrs is never Rec-flagged; all non-inherited
// bindings are evaluated in the new frame.
type Let struct {
	Code
	Pos   Pos
	Attrs *Attrs
	Body  Expr
}

// With is `with Attrs; Body`.
type With struct {
	Code
	Pos      Pos
	Attrs    Expr
	Body     Expr
	PrevWith int // frames from this with's frame to the next outer with frame; 0: none
}

// If is `if Cond then Then else Else`.
type If struct {
	Code
	Pos              Pos
	Cond, Then, Else Expr
}

// Assert is `assert Cond; Body`.
type Assert struct {
	Code
	Pos        Pos
	Cond, Body Expr
}

// Not is `!E`.
type Not struct {
	Code
	Pos Pos
	E   Expr
}

// BinOp kinds of the built-in (non-overridable) binary operators.
type BinOpKind uint8

const (
	OpEq BinOpKind = iota
	OpNEq
	OpAnd
	OpOr
	OpImpl
	OpUpdate
	OpConcatLists
)

// BinOp is `A op B` for the operators that are nodes (not desugared calls).
type BinOp struct {
	Code
	Pos  Pos
	Op   BinOpKind
	A, B Expr
}

// ConcatStrings is `+`, string interpolation and path interpolation.
// ForceString is true for interpolated strings.
type ConcatStrings struct {
	Code
	Pos         Pos
	ForceString bool
	Parts       []Expr
	PartPos     []Pos // position of each part (for error messages)
}

// CurPos is `__curPos`.
type CurPos struct {
	Code
	Pos Pos
}

func (e *Int) Position() Pos           { return e.Pos }
func (e *Float) Position() Pos         { return e.Pos }
func (e *String) Position() Pos        { return e.Pos }
func (e *Path) Position() Pos          { return e.Pos }
func (e *Var) Position() Pos           { return e.Pos }
func (e *Select) Position() Pos        { return e.Pos }
func (e *HasAttr) Position() Pos       { return e.Pos }
func (e *Attrs) Position() Pos         { return e.Pos }
func (e *List) Position() Pos          { return e.Pos }
func (e *Lambda) Position() Pos        { return e.Pos }
func (e *Call) Position() Pos          { return e.Pos }
func (e *Let) Position() Pos           { return e.Pos }
func (e *With) Position() Pos          { return e.Pos }
func (e *If) Position() Pos            { return e.Pos }
func (e *Assert) Position() Pos        { return e.Pos }
func (e *Not) Position() Pos           { return e.Pos }
func (e *BinOp) Position() Pos         { return e.Pos }
func (e *ConcatStrings) Position() Pos { return e.Pos }
func (e *CurPos) Position() Pos        { return e.Pos }
