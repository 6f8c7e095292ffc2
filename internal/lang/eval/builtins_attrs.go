package eval

var attrsBuiltins = []builtinDef{}
