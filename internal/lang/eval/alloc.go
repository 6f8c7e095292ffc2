package eval

// newThunk and newEnv1 are the evaluator's most frequent allocations.
// (Allocating them in slabs was tried and dropped: one surviving cell
// kept a whole slab, and everything it pointed to, alive; see
// docs/design/evaluator-performance.md.)

func (st *State) newThunk(p any, env *Env) *Value {
	return &Value{kind: KThunk, p: p, env: env}
}

func (st *State) newEnv1(up *Env) *Env {
	e := &Env{up: up}
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
