#!/bin/sh
# Builds gonix and the runner into a temporary directory, then times every
# language workload under gonix and Nix 2.8 side by side; the Markdown table
# goes to stdout, per-run progress to stderr.
#
#   bench/run.sh                      all of bench/lang/*.nix, 7 runs each
#   bench/run.sh -n 3 bench/lang/fib27.nix
#   bench/run.sh -q > table.md
#
# Arguments are runner flags (see `go run ./bench/runner -h`) and, optionally,
# workload files; later flags override the defaults below. Exit status is the
# runner's: 0 when every row is ok, 1 otherwise.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

go build -C "$root" -o "$tmp/gonix" ./cmd/gonix
go build -C "$root" -o "$tmp/runner" ./bench/runner

have_files=no
for arg in "$@"; do
	case $arg in *.nix) have_files=yes ;; esac
done
if [ "$have_files" = no ]; then
	set -- "$@" "$root"/bench/lang/*.nix
fi

status=0
"$tmp/runner" -a "'$tmp/gonix' nix-instantiate" -b nix-instantiate -n 7 "$@" || status=$?
exit "$status"
