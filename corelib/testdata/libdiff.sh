#!/bin/sh
# Differential test of the lib corpus (testdata/lib/*.txt) against Nix 2.8
# with nixpkgs' own lib as <gonix/lib>: exports github:nix-community/nixpkgs.lib
# at the reference commit into a temporary directory (never into the
# repository) and runs TestLibOracle, which reports how many cases agree.
# `libdiff.sh -update` rewrites the corpus's expected outputs from Nix.
#   NIXPKGS_LIB_GIT  git directory of a nixpkgs.lib clone (default: the mirror)
#   NIXPKGS_LIB_REV  commit to export (default de42d442, master of 2026-06-14,
#                    the reference of spec nixos.md §0, as tests/modules)
set -eu
mirror=${NIXPKGS_LIB_GIT:-/work/.mirror/nix-community+nixpkgs.lib/repo}
rev=${NIXPKGS_LIB_REV:-de42d44212d207476489bce163375d8306a26d59}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git --git-dir="$mirror" archive "$rev" | tar -x -C "$dir"
cd "$(dirname "$0")/.."
GONIX_LIBDIFF="$dir" go test -tags libdiff -count=1 -run '^TestLibOracle$' -v . -args "$@"
