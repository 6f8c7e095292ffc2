#!/bin/sh
# Builds gonix and the load tester into a temporary directory and runs
# the gonix serve load test: 50 concurrent clients each fetch a whole
# 200-path closure (narinfo + NAR, signature and NarHash checked) from
# `gonix serve`, for closures of 50, 200 and 400 MiB served uncompressed,
# then 20 and 80 MiB with zstd on the fly. When Nix 2.8's `nix` is on
# PATH, each load also runs against the same closure written by
# `nix copy --to file://` behind a static file server (the ratio line).
# One Markdown table per compression on stdout, progress on stderr.
#
#   bench/serve/run.sh
#   bench/serve/run.sh -mib 100 -clients 20     (one run, these flags)
#
# With arguments, only one run with those flags (after the defaults
# -paths 200 -clients 50) is made. Exit status 0 when no client saw an
# error.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-serve.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/loadtest" ./bench/serve

nix=$(command -v nix || true)
status=0
if [ $# -gt 0 ]; then
	"$tmp/loadtest" -gonix "$tmp/gonix" -nix "$nix" -paths 200 -clients 50 "$@" || status=$?
	exit "$status"
fi
"$tmp/loadtest" -gonix "$tmp/gonix" -nix "$nix" -paths 200 -clients 50 -mib 50,200,400 || status=$?
echo
"$tmp/loadtest" -gonix "$tmp/gonix" -nix "$nix" -paths 200 -clients 50 -mib 20,80 -compression zstd || status=$?
exit "$status"
