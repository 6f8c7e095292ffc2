#!/bin/sh
# Builds gonix and the timer into a temporary directory and times gonix
# against Nix 2.8 on profile generations (200 × nix-env --set, then
# --list-generations and --rollback, in a private mount namespace) and on a
# GC of about 2,000 dead paths in a chroot store. Needs root (unshare,
# mount). Markdown tables go to stdout, per-run progress to stderr.
#
#   bench/profiles/run.sh                    1 warm-up + 5 alternating runs of each
#   bench/profiles/run.sh -n 3 -only gc
#   bench/profiles/run.sh -q > table.md
#
# Arguments are timer flags (see `go run ./bench/profiles -h`). Exit status
# is the timer's: 0 when both tools succeed and each gonix/nix wall ratio is
# at most 0.5.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-profiles.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/timer" ./bench/profiles

status=0
"$tmp/timer" -gonix "$tmp/gonix" "$@" || status=$?
exit "$status"
