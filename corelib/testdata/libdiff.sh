#!/bin/sh
# Differential test of the lib corpus (testdata/lib/*.txt) against Nix 2.8
# with nixpkgs' own lib as <gonix/lib>: exports github:nix-community/nixpkgs.lib
# at a commit of the 22.05 release window into a temporary directory (never
# into the repository) and runs TestLibOracle, which reports how many cases
# agree. `libdiff.sh -update` rewrites the corpus's expected outputs from Nix.
#   NIXPKGS_LIB_GIT  git directory of a nixpkgs.lib clone (default: the mirror)
#   NIXPKGS_LIB_REV  commit to export (default 2e9f424d, 2022-05-23, whose lib
#                    still reports 22.05 "Quokka"; later snapshots are 22.11)
set -eu
mirror=${NIXPKGS_LIB_GIT:-/work/.mirror/nix-community+nixpkgs.lib/repo}
rev=${NIXPKGS_LIB_REV:-2e9f424d}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git --git-dir="$mirror" archive "$rev" | tar -x -C "$dir"
# lib/trivial.nix reads ../.version, which nixpkgs.lib does not carry.
printf 22.05 > "$dir/.version"
cd "$(dirname "$0")/.."
GONIX_LIBDIFF="$dir" go test -tags libdiff -count=1 -run '^TestLibOracle$' -v . -args "$@"
