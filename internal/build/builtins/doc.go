// Package builtins implements the builders Nix runs inside its own process
// instead of executing a program: builtin:fetchurl (spec/store.md §10.8),
// the builder of <nix/fetchurl.nix> derivations.
package builtins
