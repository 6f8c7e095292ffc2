# Stage 0: merge unpacked Debian packages into one seed tree ($out) and make
# it runnable from the store (docs/design/bootstrap.md).
#
# Nothing here is runnable by itself yet (every seed binary asks for
# /lib64/ld-linux-x86-64.so.2, which the sandbox does not have), so this
# script is run by the seed bash *through the seed loader*, and runs every
# tool the same way: "$LDSO" --library-path "$LP" TOOL ARGS.
#
# Environment (from pkgs/stage0/default.nix):
#   debs       unpacked .deb trees to merge, in order
#   localeFrom a tree whose usr/lib/locale is copied (libc-bin), or empty
#   toolDebs   unpacked trees holding the tools and their libraries
#   ldso       the loader running us (an unpatched seed)
#   libc       the patched seed-libc (interpreter and first library dir),
#              empty for seed-libc itself
#   patchElf   1: set ELF interpreters and RUNPATHs
#   extraFixup a script sourced after step 3 (optional; it may use the
#              tool functions defined here)
set -eu
shopt -s nullglob

LDSO=$ldso
LP=
for d in $toolDebs; do
    LP=$LP${LP:+:}$d/lib/x86_64-linux-gnu:$d/usr/lib/x86_64-linux-gnu
done
tool() { "$LDSO" --library-path "$LP" "$@"; }
findtool() {
    local n=$1 d
    for d in $toolDebs; do
        for p in "$d/bin/$n" "$d/usr/bin/$n"; do
            if [[ -f $p ]]; then printf '%s' "$p"; return; fi
        done
    done
    echo "fixup: tool $n not found in the tool seeds" >&2
    exit 1
}
CP=$(findtool cp) CHMOD=$(findtool chmod) FIND=$(findtool find) READLINK=$(findtool readlink)
LN=$(findtool ln) RM=$(findtool rm) MV=$(findtool mv) SED=$(findtool sed) MKDIR=$(findtool mkdir)
REALPATH=$(findtool realpath) PATCHELF=$(findtool patchelf)
cp() { tool "$CP" "$@"; }
chmod() { tool "$CHMOD" "$@"; }
find() { tool "$FIND" "$@"; }
readlink() { tool "$READLINK" "$@"; }
ln() { tool "$LN" "$@"; }
rm() { tool "$RM" "$@"; }
mv() { tool "$MV" "$@"; }
sed() { tool "$SED" "$@"; }
mkdir() { tool "$MKDIR" "$@"; }
realpath() { tool "$REALPATH" "$@"; }
patchelf() { tool "$PATCHELF" "$@"; }

# 1. Merge. Inputs are read-only store paths: copy, then make the copy
# writable before the next tree lands on it.
mkdir -p "$out"
for d in $debs; do
    cp -RP --preserve=mode,links "$d/." "$out/"
    chmod -R u+w "$out"
done
if [[ -n ${localeFrom:-} ]]; then
    mkdir -p "$out/usr/lib"
    cp -RP --preserve=mode "$localeFrom/usr/lib/locale" "$out/usr/lib/"
    chmod -R u+w "$out"
fi
# Documentation is not needed to bootstrap and only costs space.
rm -rf "$out/usr/share/doc" "$out/usr/share/man" "$out/usr/share/info" \
    "$out/usr/share/lintian" "$out/usr/share/locale" "$out/usr/share/bug"

# Debian's /bin/sh is dash; here sh is the seed bash. awk is a name
# update-alternatives would make.
if [[ -e $out/bin/bash && ! -e $out/bin/sh ]]; then
    ln -s bash "$out/bin/sh"
fi
if [[ -e $out/usr/bin/gawk && ! -e $out/usr/bin/awk ]]; then
    ln -s gawk "$out/usr/bin/awk"
fi

# 2. Symbolic links. Absolute ones name the host's root; links across
# Debian's package split or its merged-/usr split may dangle. Each is
# resolved as if all trees (this one, then seed-libc) were one root, with
# and without usr/, and rewritten to the store path it finds.
resolve() { # root-relative normalised path -> store path, or nothing
    local p=$1 alt r
    case $p in
    /usr/*) alt=${p#/usr} ;;
    *) alt=/usr$p ;;
    esac
    for r in "$out" ${libc:+"$libc"}; do
        if [[ -e $r$p || -L $r$p ]]; then printf '%s' "$r$p"; return; fi
        if [[ -e $r$alt || -L $r$alt ]]; then printf '%s' "$r$alt"; return; fi
    done
}
rewritten=0 dangling=0
links=()
while IFS= read -r -d '' l; do links+=("$l"); done < <(find "$out" -type l -print0)
for pass in absolute relative; do
    for l in "${links[@]}"; do
        t=$(readlink "$l")
        case $pass:$t in
        absolute:/nix/store/*) continue ;;
        absolute:/*) p=$t ;;
        relative:/*) continue ;;
        relative:*)
            [[ -e $l ]] && continue
            dir=${l%/*}
            p=$(realpath -m -s "/${dir#"$out"}/$t")
            ;;
        *) continue ;;
        esac
        p=$(realpath -m -s "$p")
        n=$(resolve "$p")
        if [[ -n $n ]]; then
            ln -sfn "$n" "$l"
            rewritten=$((rewritten + 1))
        else
            echo "fixup: leaving dangling link ${l#"$out"/} -> $t"
            dangling=$((dangling + 1))
        fi
    done
done
echo "fixup: $rewritten links rewritten, $dangling left dangling"

# 3. GNU ld scripts (libc.so, libm.so, libm.a) name /lib, /usr/lib, /lib64.
while IFS= read -r -d '' f; do
    IFS= read -r first < "$f" || true
    if [[ $first == "/* GNU ld script"* ]]; then
        sed -i -E "s@([ (])/(usr/)?lib(64)?/@\\1$out/\\2lib\\3/@g" "$f"
        echo "fixup: ld script ${f#"$out"/}"
    fi
done < <(find "$out" -type f \( -name '*.so' -o -name '*.a' \) -size -4k -print0)

# 3b. Optional further fixes of this seed (autotools: rewrite-usr.sh).
if [[ -n ${extraFixup:-} ]]; then
    # shellcheck disable=SC1090
    source "$extraFixup"
fi

# 4. ELF interpreters and RUNPATHs.
if [[ ${patchElf:-} == 1 ]]; then
    interp=$libc/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    libdirs=("$libc/lib/x86_64-linux-gnu" "$out/lib/x86_64-linux-gnu" "$out/usr/lib/x86_64-linux-gnu" "$out/usr/lib")
    nInterp=0 nRpath=0 unresolved=0
    while IFS= read -r -d '' f; do
        magic=
        LC_ALL=C read -r -N 4 magic < "$f" || true
        [[ $magic == $'\x7fELF' ]] || continue
        needed=$(patchelf --print-needed "$f" 2> /dev/null) || continue
        args=()
        if oldInterp=$(patchelf --print-interpreter "$f" 2> /dev/null) && [[ -n $oldInterp ]]; then
            args+=(--set-interpreter "$interp")
            nInterp=$((nInterp + 1))
        fi
        rpath=
        for n in $needed; do
            found=
            for d in "${libdirs[@]}"; do
                if [[ -e $d/$n ]]; then
                    found=$d
                    break
                fi
            done
            if [[ -z $found ]]; then
                echo "fixup: ${f#"$out"/}: NEEDED $n not found"
                unresolved=$((unresolved + 1))
                continue
            fi
            case ":$rpath:" in *":$found:"*) ;; *) rpath=$rpath${rpath:+:}$found ;; esac
        done
        if [[ -n $rpath ]]; then
            args+=(--set-rpath "$rpath")
            nRpath=$((nRpath + 1))
        fi
        [[ ${#args[@]} -gt 0 ]] || continue
        # Patch a copy: patchelf may have the original mapped (SIGBUS).
        cp -p "$f" "$f.fixup-tmp"
        patchelf "${args[@]}" "$f.fixup-tmp"
        mv "$f.fixup-tmp" "$f"
    done < <(find "$out" -type f -print0)
    echo "fixup: $nInterp interpreters and $nRpath RUNPATHs set, $unresolved NEEDED unresolved"
    if [[ $unresolved -gt 0 ]]; then
        echo "fixup: unresolved libraries (see above)" >&2
        exit 1
    fi
    # 5. Check: every executable now loads with store libraries only.
    checked=0
    while IFS= read -r -d '' f; do
        magic=
        LC_ALL=C read -r -N 4 magic < "$f" || true
        [[ $magic == $'\x7fELF' ]] || continue
        patchelf --print-interpreter "$f" > /dev/null 2>&1 || continue
        list=$("$interp" --list "$f" 2>&1) || { echo "fixup: $interp --list ${f#"$out"/} failed: $list" >&2; exit 1; }
        if [[ $list == *"not found"* ]]; then
            echo "fixup: ${f#"$out"/} does not load:"$'\n'"$list" >&2
            exit 1
        fi
        checked=$((checked + 1))
    done < <(find "$out" -type f -perm -u+x -print0)
    echo "fixup: $checked executables load from the store"
fi
