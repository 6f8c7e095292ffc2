// Package crashsafety holds the local store's crash-safety test: it kills
// `gonix nix-store --add` of a large tree at random moments and checks that
// the store never registers anything half-written and that the next add
// succeeds (DESIGN.md, promise 4).
package crashsafety
