// Package wire reads and writes the primitives of Nix's worker, serve and export protocols: little-endian 64-bit integers, padded strings and string lists.
package wire
