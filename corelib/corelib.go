package corelib

import "embed"

// FS holds the embedded Nix files.
//
//go:embed derivation.nix fetchurl.nix
var FS embed.FS
