#!/bin/sh
# Builds gonix and the timer into a temporary directory and times the
# generated 300-module configuration (bench/modules/gen.go): gonix with its
# embedded <gonix/lib> against Nix 2.8 with nixpkgs' lib ($NIXPKGS_LIB, an
# exported github:nix-community/nixpkgs.lib tree; see README.md). The
# Markdown table goes to stdout, per-run progress to stderr.
#
#   NIXPKGS_LIB=/tmp/nixpkgs.lib bench/modules/run.sh           5 alternating runs after 1 warm-up
#   NIXPKGS_LIB=/tmp/nixpkgs.lib bench/modules/run.sh -n 9 -q > table.md
#
# Arguments are timer flags (go run ./bench/modules -h); later flags override
# the defaults below. Exit status is the timer's: 0 when both succeed, print
# the same JSON and gonix/nix is within 0.5 (wall) and 1.0 (peak RSS).
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

: "${NIXPKGS_LIB:?set NIXPKGS_LIB to an exported nix-community/nixpkgs.lib tree (bench/modules/README.md)}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-modules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/timer" ./bench/modules

status=0
"$tmp/timer" -a "$tmp/gonix nix-instantiate" -b nix-instantiate -nixpkgs-lib "$NIXPKGS_LIB" -n 5 "$@" || status=$?
exit "$status"
