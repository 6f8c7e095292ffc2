package eval

var miscBuiltins = []builtinDef{}
