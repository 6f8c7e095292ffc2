#!/bin/sh
# bench/shell/run.sh — nix-shell start-up: gonix against Nix 2.8, side by
# side, on the same derivation (no inputs, so Nix 2.8 can run it from a
# chroot store), NIX_BUILD_SHELL=bash, --run true. Prints median wall and
# CPU (user+system) of RUNS runs and the ratios gonix/nix.
#
#   bench/shell/run.sh          # RUNS=11
#
# Nothing touches /nix: chroot stores in a temporary directory. gonix runs
# the shell in a mount namespace for a chroot store (Nix 2.8 does not need
# one here: the derivation has no inputs), so run it as root.
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"
RUNS=${RUNS:-11}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
(cd "$root" && go build -o "$tmp/gonix" ./cmd/gonix)
ln -s gonix "$tmp/nix-shell"
export HOME="$tmp/home" NIX_BUILD_SHELL=bash NIX_PATH=
mkdir -p "$HOME"
cat > "$tmp/shell.nix" <<'NIX'
{ greeting ? "hi" }:
derivation { name = "env"; system = "x86_64-linux"; builder = "/bin/sh"; GREETING = greeting; passAsFile = [ "big" ]; big = "text"; }
NIX
cd "$tmp"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # CMD -> "wall cpu"
    : > times
    i=0
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -f "%e %U %S" -o t sh -c "$1" >/dev/null 2>err || { cat err >&2; exit 1; }
        tail -1 t >> times
        i=$((i+1))
    done
    echo "$(awk '{print $1}' times | median) $(awk '{printf "%.3f\n", $2+$3}' times | median)"
}
echo "| case | nix wall | gonix wall | ratio | nix cpu | gonix cpu | ratio |"
echo "|---|---|---|---|---|---|---|"
for args in "--run true" "--pure --run true" "--argstr greeting hey --run true"; do
    n=$(measure "nix-shell --store $tmp/n --option substituters '' shell.nix $args")
    g=$(measure "$tmp/nix-shell --store $tmp/g shell.nix $args")
    echo "$n $g" | awk -v a="$args" '{printf "| %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", a, $1, $3, ($1>0?$3/$1:0), $2, $4, ($2>0?$4/$2:0)}'
done
