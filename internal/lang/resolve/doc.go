// Package resolve binds every variable of a parsed Nix expression to a frame and slot, or marks it as a `with` lookup.
package resolve
