package eval

var fileBuiltins = []builtinDef{}
