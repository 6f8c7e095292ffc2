#!/bin/sh
# bench/cache/run.sh — binary cache transport: gonix copy against Nix 2.8's
# nix copy, side by side, on the same generated paths. Prints a Markdown
# table of median wall and CPU (user+system) times, 3 runs each, and the
# ratios gonix/nix (CPU is the steadier figure on a loaded machine).
#
#   bench/cache/run.sh            # 100 paths of 512 KiB (50 MiB of NAR)
#   N=1000 KIB=1024 bench/cache/run.sh   # the issue's 1,000-path / 1 GiB case
#
# Nothing touches /nix: both tools use chroot stores under a temporary
# directory, no substituters, a private HOME (Nix's narinfo disk cache
# starts empty for every run).
set -eu
# gonix is built as README.md builds it, with Go 1.27's default allocator
# (GOEXPERIMENT=sizespecializedmalloc on Go 1.26; an empty GOEXPERIMENT
# builds without it).
export GOEXPERIMENT="${GOEXPERIMENT-sizespecializedmalloc}"
# and as a static binary, as README.md builds it (docs/design/static-binary.md)
export CGO_ENABLED="${CGO_ENABLED-0}"
N=${N:-100}
KIB=${KIB:-512}
RUNS=${RUNS:-3}
OPS=${OPS:-"write read"}   # OPS=read skips the (slow) xz writes
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
(cd "$root" && go build -o "$tmp/gonix" ./cmd/gonix && go build -o "$tmp/fileserver" ./bench/cache/fileserver)
G="$tmp/gonix"
export HOME="$tmp/home"
mkdir -p "$HOME" "$tmp/files"
nixc() { nix --extra-experimental-features nix-command "$@"; }

# Paths: half random bytes (incompressible), half repetitive text.
python3 - "$tmp/files" "$N" "$KIB" <<'PY'
import os, sys
d, n, kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    half = kib * 512
    with open(os.path.join(d, "f%04d" % i), "wb") as f:
        f.write(os.urandom(half))
        f.write((("line %d of file %d\n" % (i, i)) * (half // 16 + 1)).encode()[:half])
PY
nix-store --store "$tmp/s" --option substituters '' --add "$tmp"/files/* > "$tmp/paths"
"$G" nix-store --store "$tmp/g" --add "$tmp"/files/* > "$tmp/gpaths"
cmp -s "$tmp/paths" "$tmp/gpaths" || { echo "gonix and nix disagree on the paths" >&2; exit 1; }
paths=$(tr "\n" " " < "$tmp/paths")

# measure LABEL CMD : "wall cpu" medians (seconds; cpu = user+system of the
# command and its children) of RUNS runs; @i@ in CMD is the run number.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
    : > "$tmp/times"
    i=0
    while [ $i -lt "$RUNS" ]; do
        export XDG_CACHE_HOME="$tmp/xdg-$i-$(echo "$1" | tr -c 'a-z0-9\n' _)"
        cmd=$(echo "$2" | sed "s/@i@/$i/g")
        /usr/bin/time -f "%e %U %S" -o "$tmp/t" sh -c "$cmd" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
        tail -1 "$tmp/t" >> "$tmp/times"
        i=$((i+1))
    done
    w=$(awk '{print $1}' "$tmp/times" | median)
    c=$(awk '{printf "%.2f\n", $2+$3}' "$tmp/times" | median)
    echo "$w $c"
}
row() { # NAME NIXCMD GONIXCMD
    set -- "$1" "$(measure "n$1" "$2")" "$(measure "g$1" "$3")"
    echo "$2 $3" | awk -v name="$1" '{printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, $1, $3, $3/$1, $2, $4, ($2>0 ? $4/$2 : 0)}'
}

echo "$N paths × $KIB KiB; median of $RUNS runs (seconds)"
echo
echo "| operation | nix wall | gonix wall | ratio | nix cpu | gonix cpu | ratio |"
echo "|---|---|---|---|---|---|---|"
want() { case " $OPS " in *" $1 "*) return 0;; esac; return 1; }
if want write; then for c in xz zstd; do
    row "write file:// $c" \
        "nix --extra-experimental-features nix-command copy --store $tmp/s --option substituters '' --to 'file://$tmp/nw-$c-@i@?compression=$c' $paths" \
        "$G copy --store $tmp/g --to 'file://$tmp/gw-$c-@i@?compression=$c' $paths"
done; fi
# Reading needs Nix's caches: written once, untimed, when writes were skipped.
if ! want write; then for c in xz zstd; do
    nixc copy --store "$tmp/s" --option substituters '' --to "file://$tmp/nw-$c-0?compression=$c" $paths 2>/dev/null
done; fi
if want read; then for c in xz zstd; do
    row "read file:// $c" \
        "nix --extra-experimental-features nix-command copy --option substituters '' --no-check-sigs --from file://$tmp/nw-$c-0 --to $tmp/nr-$c-@i@ $paths" \
        "$G copy --no-check-sigs --from file://$tmp/nw-$c-0 --to $tmp/gr-$c-@i@ $paths"
done; fi
"$tmp/fileserver" 127.0.0.1:0 "$tmp" > "$tmp/addr" &
pid=$!
while [ ! -s "$tmp/addr" ]; do sleep 0.1; done
addr=$(cat "$tmp/addr")
if want read; then for c in xz zstd; do
    row "read http:// $c" \
        "nix --extra-experimental-features nix-command copy --option substituters '' --no-check-sigs --from http://$addr/nw-$c-0 --to $tmp/nh-$c-@i@ $paths" \
        "$G copy --no-check-sigs --from http://$addr/nw-$c-0 --to $tmp/gh-$c-@i@ $paths"
done; fi
if want write; then for c in xz zstd; do
    row "write http:// $c" \
        "nix --extra-experimental-features nix-command copy --store $tmp/s --option substituters '' --to 'http://$addr/nhw-$c-@i@?compression=$c' $paths" \
        "$G copy --store $tmp/g --to 'http://$addr/ghw-$c-@i@?compression=$c' $paths"
done; fi
