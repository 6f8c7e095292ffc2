// Package gc is Nix 2.8's garbage collector for the local store: it finds
// the GC roots (gcroots, profiles, runtime and temporary roots) and deletes
// the store paths no root reaches (spec/store.md §8, Nix's
// src/libstore/gc.cc).
package gc
