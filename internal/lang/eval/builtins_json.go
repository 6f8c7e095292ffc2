package eval

var jsonBuiltins = []builtinDef{}
