// Package store defines what a Nix store is to the rest of gonix: path
// metadata, the Store interface, content addresses and closures.
package store
