// Package binarycache is Nix 2.8's file:// binary cache (spec/store.md §5–6):
// reading narinfos and NARs from it, writing paths into it as `nix copy --to
// file://…` does, and substituting paths from it into a local store.
package binarycache
