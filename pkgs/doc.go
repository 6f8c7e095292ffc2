// Package gonixpkgs embeds the gonixpkgs collection (the Nix files beside
// this one) in the gonix binary and unpacks it for the built-in
// <gonixpkgs> search-path entry (docs/design/bootstrap.md).
package gonixpkgs
