package eval

var regexBuiltins = []builtinDef{}
