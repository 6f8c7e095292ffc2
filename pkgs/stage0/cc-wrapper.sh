#! @shell@
# gonixpkgs compiler wrapper (stage 0): seed gcc-12 that sees only the store.
# --sysroot names an empty store directory, so gcc's and ld's built-in
# /usr/include, /usr/lib, /lib never leak in, even outside a sandbox; libc
# headers come after gcc's own (-idirafter keeps #include_next working);
# links get the store's loader and RUNPATH (libgcc_s, libstdc++ and
# friends live in seed-gcc; libgcc_s.so is a relative ld script). NIX_CFLAGS_COMPILE and
# NIX_LDFLAGS (set by stdenv from the build inputs) are added here.
set -eu -o pipefail

gcc=@gcc@
libc=@libc@
binutils=@binutils@

link=1
for a in "$@"; do
    case $a in
    -c | -S | -E | -M | -MM | -fsyntax-only) link= ;;
    esac
done
prog=@prog@
if [ "$prog" = cpp ]; then
    link=
    set -- -E "$@"
fi

flags=(
    --sysroot=@sysroot@
    -B"$libc/usr/lib/x86_64-linux-gnu/"
    -B"$binutils/usr/bin/"
    -idirafter "$libc/usr/include/x86_64-linux-gnu"
    -idirafter "$libc/usr/include"
)
# shellcheck disable=SC2206
flags+=(${NIX_CFLAGS_COMPILE:-})
after=()
if [ -n "$link" ]; then
    # RUNPATH entries for every store library directory named with -L,
    # and the same directories as -rpath-link: ld looks for the libraries
    # a linked library needs (libm.so.6 for libsqlite3.so) in -rpath
    # directories prefixed with the --sysroot, where they are not.
    rpath=()
    for a in ${NIX_LDFLAGS:-} "$@"; do
        case $a in
        -L"${NIX_STORE:-/nix/store}"/*) rpath+=(-Wl,-rpath,"${a#-L}" -Wl,-rpath-link,"${a#-L}") ;;
        esac
    done
    # shellcheck disable=SC2206
    after=(
        ${NIX_LDFLAGS:-}
        -L"$libc/usr/lib/x86_64-linux-gnu" -L"$libc/lib/x86_64-linux-gnu"
        -L"$gcc/lib/x86_64-linux-gnu" -L"$gcc/usr/lib/x86_64-linux-gnu"
        -Wl,-dynamic-linker,"$libc/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
        "${rpath[@]}" -Wl,-rpath,"$libc/lib/x86_64-linux-gnu"
        -Wl,-rpath-link,"$libc/lib/x86_64-linux-gnu"
    )
fi
exec "$gcc/usr/bin/gcc-12" "${flags[@]}" "$@" "${after[@]}"
