package eval

import (
	"unsafe"

	"gonix/internal/lang/ast"
)

// newThunk and newEnv1 are the evaluator's most frequent allocations.
// (Allocating them in slabs was tried and dropped: one surviving cell
// kept a whole slab, and everything it pointed to, alive; see
// docs/design/evaluator-performance.md.)

func (st *State) newThunk(e ast.Expr, env *Env) *Value {
	return &Value{kind: KThunk, p: unsafe.Pointer(exprOf(e)), env: env}
}

// newThunkCode is newThunk for an expression whose exprCode is known.
func newThunkCode(c *exprCode, env *Env) *Value {
	return &Value{kind: KThunk, p: unsafe.Pointer(c), env: env}
}

func (st *State) newEnv1(up *Env) *Env {
	return &Env{up: up}
}

// newEnv1ThunkCode returns a one-slot frame under up whose slot holds a
// new thunk of c in tenv, both in one allocation: the frame of a call `f ARG`
// whose argument needs a thunk. (The thunk keeps the frame alive as long
// as it is referenced; the frame is small and a thunk that outlives its
// call usually shares the frame's closure anyway.)
func newEnv1ThunkCode(up *Env, c *exprCode, tenv *Env) *Env {
	x := &struct {
		e Env
		t Value
	}{}
	x.t = thunkValue(c, tenv)
	x.e.up = up
	x.e.slot0 = &x.t
	return &x.e
}

// envValue is a one-slot frame and the cell its slot points to.
type envValue struct {
	e Env
	t Value
}

// newEnv1Value is newEnv1ThunkCode for an argument whose value is known.
func newEnv1Value(up *Env, v Value) *Env {
	x := &envValue{}
	x.t = v
	x.e.up = up
	x.e.slot0 = &x.t
	return &x.e
}

// newBindings returns a set's storage with n attributes (zero) and room
// for c; for sets of up to 16 attributes the storage and its attributes
// are one allocation, of the size asked for (the evaluator makes hundreds
// of thousands of small sets, and rounding 5 up to 8 attributes cost a
// few percent of all memory; 15 lands in the size class of 16 anyway).
func newBindings(n, c int) Bindings {
	switch c {
	case 0, 1:
		return bindingsIn[[1]Attr](n)
	case 2:
		return bindingsIn[[2]Attr](n)
	case 3:
		return bindingsIn[[3]Attr](n)
	case 4:
		return bindingsIn[[4]Attr](n)
	case 5:
		return bindingsIn[[5]Attr](n)
	case 6:
		return bindingsIn[[6]Attr](n)
	case 7:
		return bindingsIn[[7]Attr](n)
	case 8:
		return bindingsIn[[8]Attr](n)
	case 9:
		return bindingsIn[[9]Attr](n)
	case 10:
		return bindingsIn[[10]Attr](n)
	case 11:
		return bindingsIn[[11]Attr](n)
	case 12:
		return bindingsIn[[12]Attr](n)
	case 13:
		return bindingsIn[[13]Attr](n)
	case 14:
		return bindingsIn[[14]Attr](n)
	case 15, 16:
		return bindingsIn[[16]Attr](n)
	}
	return Bindings{Attrs: make([]Attr, n, c)}
}

// bindingsIn allocates a set's attributes, an array A of Attr, holding n
// of them.
func bindingsIn[A any](n int) Bindings {
	a := new(A)
	c := int(unsafe.Sizeof(*a) / unsafe.Sizeof(Attr{}))
	return Bindings{Attrs: unsafe.Slice((*Attr)(unsafe.Pointer(a)), c)[:n]}
}

// fastOp names the integer fast path of a strict binary builtin.
type fastOp uint8

const (
	fastNone fastOp = iota
	fastSub
	fastMul
	fastDiv
	fastLess
	fastAdd
	// the bit operations force and check their first operand before
	// evaluating the second (Nix's forceInt), see fast2
	fastBitAnd
	fastBitOr
	fastBitXor
)

// fastOps are the builtins with an integer fast path.
var fastOps = map[string]fastOp{
	"sub": fastSub, "mul": fastMul, "div": fastDiv, "lessThan": fastLess, "add": fastAdd,
	"bitAnd": fastBitAnd, "bitOr": fastBitOr, "bitXor": fastBitXor,
}

// intOp computes op on two integers; ok=false leaves the case (division
// by 0, or by -1 which may overflow) to the builtin's general code.
func intOp(op fastOp, a, b int64) (r Value, ok bool) {
	// the commonest two first, small enough to be inlined
	if op == fastSub {
		return Value{kind: KInt, n: a - b}, true
	}
	if op == fastLess {
		return Value{kind: KBool, n: b2i(a < b)}, true
	}
	return intOpRest(op, a, b)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func intOpRest(op fastOp, a, b int64) (r Value, ok bool) {
	switch op {
	case fastSub:
		return Value{kind: KInt, n: a - b}, true
	case fastAdd:
		return Value{kind: KInt, n: a + b}, true
	case fastLess:
		if a < b {
			return Value{kind: KBool, n: 1}, true
		}
		return Value{kind: KBool}, true
	case fastMul:
		return Value{kind: KInt, n: a * b}, true
	case fastBitAnd:
		return Value{kind: KInt, n: a & b}, true
	case fastBitOr:
		return Value{kind: KInt, n: a | b}, true
	case fastBitXor:
		return Value{kind: KInt, n: a ^ b}, true
	case fastDiv:
		if b != 0 && b != -1 {
			return Value{kind: KInt, n: a / b}, true
		}
	}
	return Value{}, false
}

// Large fresh allocations are first written with plain stores.
//
// While a collection is marking, every pointer store runs the write
// barrier, which reads the old contents of the slot first. On memory the
// kernel has just handed out, that read maps the shared zero page, and
// the store that follows copies it: a second fault, whose TLB flush
// interrupts the other CPU (where the collector runs). A 10^6-element
// genList paid some 25,000 such faults (hundreds of milliseconds, most of
// it system time) and could not be preempted meanwhile, which kept the
// collector spinning. Writing one zero word per page beforehand makes the
// first touch an ordinary write fault. Small allocations come from spans
// already in use and are left alone.

// prefaultBytes is the size from which fresh slices are pre-touched.
const prefaultBytes = 64 << 10

// makeCells returns n zero cells.
func makeCells(n int) []Value {
	s := make([]Value, n)
	if n*int(unsafe.Sizeof(Value{})) >= prefaultBytes {
		const step = 4096 / int(unsafe.Sizeof(Value{}))
		for i := 0; i < n; i += step {
			s[i].n = 0
		}
	}
	return s
}

// makeElems returns a slice of n nil pointers with capacity c.
func makeElems(n, c int) []*Value {
	s := make([]*Value, n, c)
	if c*8 >= prefaultBytes {
		full := s[:c]
		for i := 0; i < c; i += 512 {
			// a plain store of the nil already there: no write barrier
			*(*uintptr)(unsafe.Pointer(&full[i])) = 0
		}
	}
	return s
}

// newBindingsCells is newBindings(n, n) for a set literal whose k
// attributes need thunks, with k cells for them in the same allocation
// when the set is small: the set holds the cells, and a cell that
// outlives the set keeps only that small set with it. The common shapes
// get exactly the room they need.
func newBindingsCells(n, k int) (Bindings, []Value) {
	if k == 0 {
		return newBindings(n, n), nil
	}
	switch n {
	case 1:
		return bindingsCellsIn[[1]Attr, [1]Value](n, k)
	case 2:
		if k == 1 {
			return bindingsCellsIn[[2]Attr, [1]Value](n, k)
		}
		return bindingsCellsIn[[2]Attr, [2]Value](n, k)
	case 3:
		switch k {
		case 1:
			return bindingsCellsIn[[3]Attr, [1]Value](n, k)
		case 2:
			return bindingsCellsIn[[3]Attr, [2]Value](n, k)
		}
		return bindingsCellsIn[[3]Attr, [3]Value](n, k)
	case 4:
		switch k {
		case 1:
			return bindingsCellsIn[[4]Attr, [1]Value](n, k)
		case 2:
			return bindingsCellsIn[[4]Attr, [2]Value](n, k)
		case 3:
			return bindingsCellsIn[[4]Attr, [3]Value](n, k)
		}
		return bindingsCellsIn[[4]Attr, [4]Value](n, k)
	}
	if k < 2 {
		return newBindings(n, n), nil
	}
	// larger sets: the thunks still share one allocation
	return newBindings(n, n), make([]Value, k)
}

// bindingsCellsIn allocates a set's attributes (an array A of Attr,
// holding n) and its cells (an array V of Value, giving k) at once.
func bindingsCellsIn[A, V any](n, k int) (Bindings, []Value) {
	x := &struct {
		a A
		t V
	}{}
	return Bindings{Attrs: unsafe.Slice((*Attr)(unsafe.Pointer(&x.a)), n)}, unsafe.Slice((*Value)(unsafe.Pointer(&x.t)), k)
}
