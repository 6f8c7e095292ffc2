package eval

var contextBuiltins = []builtinDef{}
