package jsonparse

// treeBuilder makes the Value tree that Parse returns.
type treeBuilder struct{}

func (treeBuilder) Null() Value           { return Value{Kind: Null} }
func (treeBuilder) Bool(b bool) Value     { return Value{Kind: Bool, Bool: b} }
func (treeBuilder) Int(i int64) Value     { return Value{Kind: Int, Int: i} }
func (treeBuilder) Float(f float64) Value { return Value{Kind: Float, Float: f} }
func (treeBuilder) String(s string) Value { return Value{Kind: String, Str: s} }
func (treeBuilder) Key(s string) string   { return s }
func (treeBuilder) Array(elems []Value) Value {
	if len(elems) == 0 {
		return Value{Kind: Array}
	}
	return Value{Kind: Array, Arr: append([]Value(nil), elems...)}
}

func (treeBuilder) Object(keys []string, vals []Value) Value {
	if len(keys) == 0 {
		return Value{Kind: Object}
	}
	obj := make([]Member, len(keys))
	for i, k := range keys {
		obj[i] = Member{Key: k, Val: vals[i]}
	}
	return Value{Kind: Object, Obj: obj}
}

// Rebuild makes v again with b, calling b's methods in the order ParseWith
// would for the same document (a key before its value), so a decoder that
// produces a Value tree (fromTOML's) shares a builder with the JSON parser.
// It recurses once per level of nesting.
func Rebuild[K, V any](v *Value, b Builder[K, V]) V {
	r := rebuilder[K, V]{b: b}
	return r.value(v)
}

type rebuilder[K, V any] struct {
	b    Builder[K, V]
	vals []V // members of the containers being rebuilt, innermost last
	keys []K
}

func (r *rebuilder[K, V]) value(v *Value) V {
	switch v.Kind {
	case Bool:
		return r.b.Bool(v.Bool)
	case Int:
		return r.b.Int(v.Int)
	case Float:
		return r.b.Float(v.Float)
	case String:
		return r.b.String(v.Str)
	case Array:
		mark := len(r.vals)
		for i := range v.Arr {
			e := r.value(&v.Arr[i])
			r.vals = append(r.vals, e)
		}
		a := r.b.Array(r.vals[mark:])
		r.vals = r.vals[:mark]
		return a
	case Object:
		vmark, kmark := len(r.vals), len(r.keys)
		for i := range v.Obj {
			m := &v.Obj[i]
			k := r.b.Key(m.Key)
			r.keys = append(r.keys, k)
			e := r.value(&m.Val)
			r.vals = append(r.vals, e)
		}
		o := r.b.Object(r.keys[kmark:], r.vals[vmark:])
		r.keys, r.vals = r.keys[:kmark], r.vals[:vmark]
		return o
	}
	return r.b.Null()
}
