package eval

var stringBuiltins = []builtinDef{}
