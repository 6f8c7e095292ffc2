#!/bin/sh
# bench/nar/run.sh: NAR dump + SHA-256 (nar.HashPath) of a ~1 GiB tree against
# this machine's single-core SHA-256 throughput and against Nix 2.8's nix-hash,
# measured in one run. See bench/nar/README.md.
#
#   bench/nar/run.sh [-size 1GiB] [-n 7] [-keep DIR] [other flags of bench/nar]
#
# -keep DIR reuses (or creates once) the tree in DIR instead of a temporary one.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"
cd "$(dirname "$0")/../.."

size=1GiB
keep=
while [ $# -gt 0 ]; do
	case $1 in
	-size) size=$2; shift 2 ;;
	-keep) keep=$2; shift 2 ;;
	*) break ;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-bench-nar.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
go build -o "$tmp/nar" ./bench/nar

tree=${keep:-$tmp/tree}
if [ ! -d "$tree" ]; then
	"$tmp/nar" -mktree "$tree" -size "$size" >&2
fi
"$tmp/nar" -tree "$tree" "$@"
