#!/bin/sh
# Regenerates cmd/gonix/default.pgo, the CPU profile Go's compiler uses for
# profile-guided optimisation (a few percent on the language benchmarks):
# gonix is built, every bench/lang workload is run once under
# GONIX_CPUPROFILE, and the profiles are merged.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gonix-pgo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
go build -C "$root" -pgo=off -o "$tmp/gonix" ./cmd/gonix
for w in "$root"/bench/lang/*.nix; do
	GONIX_CPUPROFILE="$tmp/$(basename "$w" .nix).prof" \
		"$tmp/gonix" nix-instantiate --eval --strict "$w" >/dev/null
done
go tool pprof -proto "$tmp"/*.prof >"$root/cmd/gonix/default.pgo"
echo "wrote cmd/gonix/default.pgo"
