package eval

import (
	"math"
	"unsafe"

	"gonix/internal/lang/ast"
)

// Kind is the run-time type of a Value.
type Kind uint8

const (
	KNull Kind = iota
	KInt
	KFloat
	KBool
	KString
	KPath
	KAttrs
	KList      // p = the first of n element pointers
	KLambda    // closure: p = *ast.Lambda, env = captured frame
	KPrimOp    // p = *PrimOp
	KPrimOpApp // p = *PrimOpApp
	KThunk     // p = *exprCode, env = frame
	KApp       // pending application `fn arg`: p = fn, env = arg (see appValue)
	KGenApp    // element n of a genList: p = *genApp
	// A cell under evaluation is a black hole; it keeps p, env and n,
	// and its kind says what it was (blackhole and unBlackhole).
	KBlackhole    // was KThunk
	KBlackholeApp // was KApp
	KBlackholeGen // was KGenApp
)

// unBlackhole is the kind a black hole of kind k had before (KThunk,
// KApp or KGenApp).
func unBlackhole(k Kind) Kind { return k - (KBlackhole - KThunk) }

// Value is one Nix value cell. Cells are shared by pointer (list elements,
// attribute values and environment slots are *Value) and a thunk cell is
// overwritten by its result, as in Nix.
//
// A Value is 32 bytes in four fields, the most the Go compiler keeps in
// registers (it handles larger structs in memory only, copying them at
// every call and return): so the payload is an unsafe.Pointer whose type
// the kind gives, not an interface. Only the constructors and accessors
// below convert it.
type Value struct {
	kind Kind
	n    int64          // int, bool (0/1), float bits; genList index
	env  *Env           // thunk / closure frame
	p    unsafe.Pointer // payload, see Kind
}

// exprCode is what an expression's code slot (ast.Code) holds: the node
// and, from its first evaluation on, its compiled code. A thunk's payload
// points to it, so forcing a thunk calls the code directly.
type exprCode struct {
	e   ast.Expr
	run code
	// forced: a thunk of e was forced before; the first time, e is
	// interpreted, not compiled (see interp)
	forced bool
}

// Str is the payload of strings and paths.
type Str struct {
	S   string
	Ctx Context // sorted, nil when empty; always nil for paths
	// sym caches the interned symbol of S plus one (0: not yet interned),
	// so a string used again as an attribute name (`s.${name}`, getAttr,
	// listToAttrs) is not hashed again.
	sym int32
	// concat: S was made by concatenation; accumulated: this Str is the
	// first field of an accStr (see concatOnto)
	concat, accumulated bool
}

// accStr is a string made by appending to an accumulated string: its
// bytes are the prefix of buf, which has room to grow, and a
// concatenation onto the longest string in buf appends in place (the
// shorter strings sharing buf only cover bytes that never change).
type accStr struct {
	Str
	buf *strBuf
}

type strBuf struct{ b []byte }

// Attr is one attribute of a set: 16 bytes, its position a number
// (State.attrPos gives the position).
type Attr struct {
	Name ast.Symbol
	Pos  AttrPos
	Val  *Value
}

// AttrPos numbers the positions of attributes in one evaluator
// (State.positions); 0 is none.
type AttrPos int32

// Bindings are the attributes of a set, sorted by symbol. A set's Value
// holds the address of the first attribute (p) and their number (n), so
// a set is one allocation of its attributes, with no header; Bindings is
// the view of them that Value.Attrs gives. The address of the first
// attribute is a non-empty set's identity (used by «repeated»).
type Bindings struct {
	Attrs []Attr
}

// PrimOp is a built-in function.
type PrimOp struct {
	Name  string
	Arity int
	Fn    func(st *State, pos ast.Pos, args []*Value) Value
	// fast, for a few strict binary builtins, names the integer
	// operation a call with two integer operands computes without the
	// general machinery (see intOp); 0 for all others.
	fast fastOp
}

// PrimOpApp is a partially applied primop.
type PrimOpApp struct {
	Op   *PrimOp
	Args []*Value
}

// genApp is the pending application `fn i` of the elements of a list
// made by genList: an element's cell has kind KGenApp, p = the genApp, and
// n = i; its argument is ints[i].
type genApp struct {
	fn   *Value
	ints []Value
}

// Env is a run-time frame (see package ast for the layout): a header of
// one pointer (the enclosing frame) and the frame's slots right after it,
// in one allocation. A frame of n slots is allocated with n-1 more slots
// after the first (newEnv); its size is not stored: the resolver gave
// every access its slot. Header and slots are all pointers, so a large
// frame is a plain slice of pointers seen as an Env. A with frame has one
// slot and a link to the next outer with frame after it (withFrame).
type Env struct {
	up    *Env
	slot0 *Value
}

// withFrame is the frame of `with`: its slot holds the set, outer is the
// next outer with frame (noOuterWith: none).
type withFrame struct {
	e     Env
	outer *Env
}

// noOuterWith marks the outermost with frame; never written to.
var noOuterWith = new(Env)

// outerWith is the next outer with frame of e, a with frame.
func outerWith(e *Env) *Env { return (*withFrame)(unsafe.Pointer(e)).outer }

// at returns slot i of e.
func (e *Env) at(i int) *Value {
	return *(**Value)(unsafe.Add(unsafe.Pointer(&e.slot0), uintptr(i)*unsafe.Sizeof(e.slot0)))
}

// set stores v in slot i of e.
func (e *Env) set(i int, v *Value) {
	*(**Value)(unsafe.Add(unsafe.Pointer(&e.slot0), uintptr(i)*unsafe.Sizeof(e.slot0))) = v
}

// slots returns e's first n slots as a slice; n must not exceed the
// frame's size.
func (e *Env) slots(n int) []*Value {
	return unsafe.Slice(&e.slot0, n)
}

// copyFrame returns a new frame under e.up holding e's first n slots: a
// thunk made over the copy sees what it would have seen in e, and e can
// still be given back to a free list (see specSlots). A slot's cell is
// shared if it is a thunk and copied if it holds a value: the cells that
// go back to a free list with their frame (callValue1's argument,
// foldl's accumulator) always hold values.
func copyFrame(e *Env, n int) *Env {
	c := newEnv(e.up, n)
	for i := range n {
		v := e.at(i)
		if v != nil && v.kind < KThunk {
			v = cell(*v)
		}
		c.set(i, v)
	}
	return c
}

func newEnv(up *Env, n int) *Env {
	// Typed allocations for the common small frames; a slice of
	// pointers beyond.
	switch n {
	case 0, 1:
		return &Env{up: up}
	case 2:
		x := &struct {
			e Env
			a [1]*Value
		}{}
		x.e.up = up
		return &x.e
	case 3:
		x := &struct {
			e Env
			a [2]*Value
		}{}
		x.e.up = up
		return &x.e
	case 4:
		x := &struct {
			e Env
			a [3]*Value
		}{}
		x.e.up = up
		return &x.e
	}
	w := make([]unsafe.Pointer, 1+n)
	w[0] = unsafe.Pointer(up)
	return (*Env)(unsafe.Pointer(&w[0]))
}

// Constructors.

func IntValue(i int64) Value     { return Value{kind: KInt, n: i} }
func FloatValue(f float64) Value { return Value{kind: KFloat, n: int64(math.Float64bits(f))} }
func BoolValue(b bool) Value {
	if b {
		return Value{kind: KBool, n: 1}
	}
	return Value{kind: KBool}
}
func NullValue() Value { return Value{kind: KNull} }
func StringValue(s string, ctx Context) Value {
	return strValue(&Str{S: s, Ctx: ctx})
}
func PathValue(s string) Value { return Value{kind: KPath, p: unsafe.Pointer(&Str{S: s})} }
func AttrsValue(b Bindings) Value {
	return Value{kind: KAttrs, n: int64(len(b.Attrs)), p: unsafe.Pointer(unsafe.SliceData(b.Attrs))}
}
func ListValue(elems []*Value) Value {
	return Value{kind: KList, n: int64(len(elems)), p: unsafe.Pointer(unsafe.SliceData(elems))}
}

func strValue(s *Str) Value { return Value{kind: KString, p: unsafe.Pointer(s)} }
func lambdaValue(l *ast.Lambda, env *Env) Value {
	return Value{kind: KLambda, p: unsafe.Pointer(l), env: env}
}
func primOpValue(op *PrimOp) Value         { return Value{kind: KPrimOp, p: unsafe.Pointer(op)} }
func primOpAppValue(a *PrimOpApp) Value    { return Value{kind: KPrimOpApp, p: unsafe.Pointer(a)} }
func genAppValue(g *genApp, i int64) Value { return Value{kind: KGenApp, n: i, p: unsafe.Pointer(g)} }
func thunkValue(c *exprCode, env *Env) Value {
	return Value{kind: KThunk, p: unsafe.Pointer(c), env: env}
}

// appValue is the pending application `fn arg`, held in the cell itself:
// p is fn's cell and the env field, whose type the collector does not
// look at (it only sees a pointer), arg's cell. Forcing the cell
// overwrites both, so nothing of the application outlives it. (The arg
// is stored through an unsafe.Pointer, never converted to *Env, which
// checkptr would rightly refuse: a cell is smaller than a frame.)
func appValue(fn, arg *Value) Value {
	v := Value{kind: KApp, p: unsafe.Pointer(fn)}
	*(*unsafe.Pointer)(unsafe.Pointer(&v.env)) = unsafe.Pointer(arg)
	return v
}

// appParts returns the function and argument cells of a KApp (or
// KBlackholeApp) cell.
func appParts(v *Value) (fn, arg *Value) {
	return (*Value)(v.p), (*Value)(unsafe.Pointer(v.env))
}

// Accessors (valid only for the matching kind).

func (v *Value) Kind() Kind      { return v.kind }
func (v *Value) Int() int64      { return v.n }
func (v *Value) Float() float64  { return math.Float64frombits(uint64(v.n)) }
func (v *Value) Bool() bool      { return v.n != 0 }
func (v *Value) Str() *Str       { return (*Str)(v.p) }
func (v *Value) StrS() string    { return (*Str)(v.p).S }
func (v *Value) Attrs() Bindings { return Bindings{Attrs: unsafe.Slice((*Attr)(v.p), v.n)} }
func (v *Value) Elems() []*Value { return unsafe.Slice((**Value)(v.p), v.n) }
func (v *Value) IsThunk() bool   { return v.kind >= KThunk && v.kind < KBlackhole }
func (v *Value) isFunction() bool {
	return v.kind == KLambda || v.kind == KPrimOp || v.kind == KPrimOpApp
}

// Get finds attribute sym, binary searching the sorted storage.
func (b Bindings) Get(sym ast.Symbol) *Attr {
	a := b.Attrs
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m].Name < sym {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(a) && a[lo].Name == sym {
		return &a[lo]
	}
	return nil
}

// id is a non-empty set's identity: the address of its first attribute.
func (b Bindings) id() *Attr { return unsafe.SliceData(b.Attrs) }

// Len is the number of attributes.
func (b Bindings) Len() int { return len(b.Attrs) }

// sortAttrs sorts by symbol (insertion sort for small, else slices.SortFunc).
func sortAttrs(a []Attr) {
	if len(a) < 12 {
		for i := 1; i < len(a); i++ {
			for j := i; j > 0 && a[j].Name < a[j-1].Name; j-- {
				a[j], a[j-1] = a[j-1], a[j]
			}
		}
		return
	}
	sortAttrsSlow(a)
}
