// Package eval is the lazy evaluator of the Nix language (the resolved syntax tree compiled to closures): values, thunks, environments, the builtins and the printers.
package eval
