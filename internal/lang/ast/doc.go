// Package ast defines the syntax tree of the Nix language, its positions and its interned symbols.
package ast
