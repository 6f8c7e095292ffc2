// Package profile manages Nix profiles and their generations: the
// P -> P-N-link -> store path chain of spec/store.md §9.1–9.4, with
// Nix 2.8's numbering, atomic switching, rollback and deletion rules.
package profile
