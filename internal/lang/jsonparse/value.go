package jsonparse

// Kind is the type of a parsed JSON value.
type Kind uint8

// The kinds of JSON values. Numbers are split the way Nix 2.8 splits them:
// Int for integers that fit in 64 bits, Float for everything else.
const (
	Null Kind = iota
	Bool
	Int
	Float
	String
	Array
	Object
)

var kindNames = [...]string{"null", "bool", "int", "float", "string", "array", "object"}

// String returns the lower-case name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Value is one parsed JSON value. Only the field selected by Kind is meaningful.
//
// Strings (Str and Member.Key) may share memory with the input of Parse.
// An empty array or object has a nil Arr or Obj.
type Value struct {
	Kind  Kind
	Bool  bool
	Int   int64
	Float float64
	Str   string
	Arr   []Value
	Obj   []Member
}

// Member is one key/value pair of an object. Members are kept in input order
// and duplicate keys are all kept; Nix lets the last one win.
type Member struct {
	Key string
	Val Value
}
