#!/bin/sh
# Builds gonix and the timer into a temporary directory and times
# `gonix nix-build` (sandboxed) against Nix 2.8's `nix-build` (sandboxed,
# --option sandbox true --option sandbox-paths "/bin /lib /lib64 /usr"),
# both with --max-jobs 2, each run into a fresh chroot store, on 500
# independent trivial derivations and on a 200-deep chain. The Markdown
# tables go to stdout, per-run progress to stderr.
#
#   bench/build/run.sh                  5 alternating runs of each, after 1 warm-up
#   bench/build/run.sh -n 9 -q > table.md
#   bench/build/run.sh -only chain
#
# Arguments are timer flags (see `go run ./bench/build -h`); later flags
# override the defaults below. GONIX_CPUPROFILE in the environment makes
# every gonix run write a CPU profile there (the last run's survives).
# Exit status is the timer's: 0 when both succeed, build the same paths
# with the same contents, and gonix/nix median wall time is at most 0.5
# (independent) and 0.7 (chain).
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-build.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
# Installed as `go install ./cmd/...` installs it: gonix runs the sandbox
# helper found beside it.
go build -C "$root" -o "$tmp/gonix-sandbox" ./cmd/gonix-sandbox
go build -C "$root" -o "$tmp/timer" ./bench/build

status=0
"$tmp/timer" -a "$tmp/gonix nix-build" -b nix-build -n 5 -j 2 "$@" || status=$?
exit "$status"
