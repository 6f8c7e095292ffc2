// Package builtins implements the builders run inside gonix's own process
// instead of a program: builtin:fetchurl, builtin:buildenv and gonix's builtin:unpack-deb.
package builtins
