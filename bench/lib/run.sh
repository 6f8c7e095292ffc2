#!/bin/sh
# Times the lib workloads (bench/lib/*.nix, each `import <gonix/lib>`):
# gonix with its embedded lib against Nix 2.8 with nixpkgs' own lib as
# <gonix/lib>, exported from github:nix-community/nixpkgs.lib (the revision
# corelib/lib follows, docs/lib.md)
# into a temporary directory. Uses bench/runner; the table goes to stdout.
#
#   bench/lib/run.sh                  5 runs each, with CPU-time columns
#   bench/lib/run.sh -n 9 -q > table.md
#
#   NIXPKGS_LIB_GIT  git directory of a nixpkgs.lib clone (default: the mirror)
#   NIXPKGS_LIB_REV  commit to export (default de42d442, the one corelib/lib follows)
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

root=$(cd "$(dirname "$0")/../.." && pwd)
mirror=${NIXPKGS_LIB_GIT:-/work/.mirror/nix-community+nixpkgs.lib/repo}
rev=${NIXPKGS_LIB_REV:-de42d44212d207476489bce163375d8306a26d59}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-lib.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir "$tmp/nixpkgs.lib"
git --git-dir="$mirror" archive "$rev" | tar -x -C "$tmp/nixpkgs.lib"
[ -e "$tmp/nixpkgs.lib/lib/.version" ] || printf 22.05 > "$tmp/nixpkgs.lib/.version"
go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/runner" ./bench/runner

status=0
"$tmp/runner" -a "$tmp/gonix nix-instantiate" -b "nix-instantiate -I gonix=$tmp/nixpkgs.lib" \
	-max-wall 0.5 -max-rss 1.0 -n 5 -cpu "$@" "$root"/bench/lib/*.nix || status=$?
exit "$status"
