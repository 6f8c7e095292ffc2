// Package corelib holds the Nix code shipped inside the gonix binary: the derivation wrapper and <nix/fetchurl.nix>.
package corelib
