#!/bin/sh
# Differential run of the module corpus (local only, not CI): every case under
# Nix 2.8 + nixpkgs' lib ($NIXPKGS_LIB) and under gonix + corelib/lib, with
# the agreement count and every disagreement. Extra arguments go to go test
# (e.g. -args -case=type-). See README.md for how to export nixpkgs.lib.
set -eu
: "${NIXPKGS_LIB:?set NIXPKGS_LIB to an exported nix-community/nixpkgs.lib tree (README.md)}"
cd "$(dirname "$0")/../.."
export NIXPKGS_LIB
exec go test ./tests/modules -run '^TestDiff$' -count=1 -v "$@"
