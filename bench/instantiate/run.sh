#!/bin/sh
# Builds gonix and the timer into a temporary directory, generates the
# diffstore package set (tests/diffstore: 2,307 derivations and their
# sources) and times nix-instantiate against gonix nix-instantiate, each run
# into a fresh chroot store; the Markdown table goes to stdout, per-run
# progress to stderr.
#
#   bench/instantiate/run.sh              5 alternating runs of each, after 1 warm-up
#   bench/instantiate/run.sh -n 9 -q > table.md
#
# Arguments are timer flags (see `go run ./bench/instantiate -h`); later
# flags override the defaults below. Exit status is the timer's: 0 when both
# succeed, agree and gonix/nix median wall time is at most 0.7.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-inst.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/timer" ./bench/instantiate
go run -C "$root" ./tests/diffstore/cmd/gen "$tmp/set"

status=0
"$tmp/timer" -a "$tmp/gonix nix-instantiate" -b nix-instantiate -n 5 "$@" "$tmp/set" || status=$?
exit "$status"
