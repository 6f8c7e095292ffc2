// Package eval is the lazy evaluator of the Nix language: values, thunks, environments, the builtins and the printers.
package eval
