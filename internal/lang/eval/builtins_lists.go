package eval

var listBuiltins = []builtinDef{}
