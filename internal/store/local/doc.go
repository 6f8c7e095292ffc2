// Package local is Nix 2.8's local store: the store directory, the SQLite
// database (schema 10), locks, temporary roots and atomic registration.
package local
