#!/bin/sh
# Builds gonix and the timer into a temporary directory and times
# substituting a closure (default 1,000 paths, 1 GiB) from a loopback HTTP
# cache, gonix against Nix 2.8. Markdown table on stdout, progress on stderr.
#
#   bench/subst/run.sh                      3 alternating runs of each
#   bench/subst/run.sh -paths 200 -size 268435456 -n 5
#   bench/subst/run.sh -dir /tmp/bsd -a /tmp/gonix-old   A/B: an older gonix races too
#
# Exit status 0 when both succeed and the gonix/nix wall ratio is at most 0.5.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-subst.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/timer" ./bench/subst
status=0
"$tmp/timer" -gonix "$tmp/gonix" "$@" || status=$?
exit "$status"
