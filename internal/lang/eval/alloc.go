package eval

// Cells and frames are allocated in small slabs: one Go allocation serves
// many evaluator allocations, which removes most of the allocator's cost
// on call-heavy code (fib, foldl'). A slab stays alive while any of its
// cells does; slabs are small so that this retention stays bounded.
const (
	valueSlab = 32
	envSlab   = 16
)

func (st *State) newThunk(p any, env *Env) *Value {
	if len(st.valueSlab) == 0 {
		st.valueSlab = make([]Value, valueSlab)
	}
	v := &st.valueSlab[0]
	st.valueSlab = st.valueSlab[1:]
	v.kind, v.p, v.env = KThunk, p, env
	return v
}

func (st *State) newEnv1(up *Env) *Env {
	if len(st.envSlab) == 0 {
		st.envSlab = make([]Env, envSlab)
	}
	e := &st.envSlab[0]
	st.envSlab = st.envSlab[1:]
	e.up = up
	e.vals = e.inline[:1]
	return e
}

// fastBinary are the integer fast paths of strict binary builtins; any
// other operand types take the builtin's general code.
var fastBinary = map[string]func(a, b Value) (Value, bool){
	"sub": func(a, b Value) (Value, bool) {
		if a.kind == KInt && b.kind == KInt {
			return Value{kind: KInt, n: a.n - b.n}, true
		}
		return Value{}, false
	},
	"mul": func(a, b Value) (Value, bool) {
		if a.kind == KInt && b.kind == KInt {
			return Value{kind: KInt, n: a.n * b.n}, true
		}
		return Value{}, false
	},
	"div": func(a, b Value) (Value, bool) {
		if a.kind == KInt && b.kind == KInt && b.n != 0 && b.n != -1 {
			return Value{kind: KInt, n: a.n / b.n}, true
		}
		return Value{}, false
	},
	"lessThan": func(a, b Value) (Value, bool) {
		if a.kind == KInt && b.kind == KInt {
			return BoolValue(a.n < b.n), true
		}
		return Value{}, false
	},
	"add": func(a, b Value) (Value, bool) {
		if a.kind == KInt && b.kind == KInt {
			return Value{kind: KInt, n: a.n + b.n}, true
		}
		return Value{}, false
	},
}
