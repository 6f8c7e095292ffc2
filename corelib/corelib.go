package corelib

import "embed"

// FS holds the embedded Nix files; lib/ is the gonix lib, imported as <gonix/lib>.
//
//go:embed derivation.nix fetchurl.nix lib/*.nix
var FS embed.FS
