// Package modules holds the module-system corpus: Nix files evaluated with gonix's lib, compared with what Nix 2.8 and nixpkgs' lib print.
package modules
