// Package corelib holds the Nix code shipped inside the gonix binary: the derivation wrapper, <nix/fetchurl.nix> and gonix's lib (<gonix/lib>, see docs/lib.md).
package corelib
