// Package binarycache is Nix 2.8's binary cache over file:// and http(s)://
// (spec/store.md §5–6): opening one from a URL, reading narinfos and NARs,
// writing paths and closures into it as `nix copy --to URL` does, and
// substituting paths from it into a local store.
package binarycache
