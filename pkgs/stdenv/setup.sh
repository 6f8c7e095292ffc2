# gonixpkgs stdenv: the generic builder (sourced by builder.sh).
# Phases, hooks and variable names follow nixpkgs' conventions so that
# package expressions look familiar; the code is our own.
set -eu -o pipefail
shopt -s nullglob

: "${NIX_BUILD_CORES:=1}"
[ "$NIX_BUILD_CORES" -gt 0 ] 2> /dev/null || NIX_BUILD_CORES=1
export NIX_BUILD_CORES
export LANG=C LC_ALL=C
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800}
export SHELL=$shell CONFIG_SHELL=$shell
: "${outputs:=out}"
: "${prefix:=$out}"
export NIX_CFLAGS_COMPILE=${NIX_CFLAGS_COMPILE:-} NIX_LDFLAGS=${NIX_LDFLAGS:-}
# Programs find the package's own libraries (fixup drops the entry again
# when nothing needs it), unless NIX_NO_SELF_RPATH is set.
[ -n "${NIX_NO_SELF_RPATH:-}" ] || NIX_LDFLAGS="-Wl,-rpath,$out/lib $NIX_LDFLAGS"

# ---- hooks ---------------------------------------------------------------

# runHook NAME: the shell code or function in $NAME, then every function
# added with addHook NAME.
declare -A __hooks=()
addHook() { __hooks[$1]="${__hooks[$1]:-} $2"; }
runHook() {
    local name=$1 h
    shift
    if [ -n "${!name:-}" ]; then
        if declare -F "${!name}" > /dev/null; then "${!name}" "$@"; else eval "${!name}"; fi
    fi
    for h in ${__hooks[$name]:-}; do "$h" "$@"; done
    return 0
}

# ---- inputs --------------------------------------------------------------

addToSearchPath() { # VAR DIR
    [ -d "$2" ] || return 0
    local cur=${!1:-}
    case ":$cur:" in *":$2:"*) return 0 ;; esac
    export "$1=${cur:+$cur:}$2"
}

# An input's environment: bin on PATH; include and lib in the compiler
# wrapper's flags (lib also on the RUNPATH); pkgconfig on PKG_CONFIG_PATH;
# its setup hook sourced once; its propagated inputs taken in too.
declare -A __seen=()
addInput() {
    local p=$1 q
    [ -n "$p" ] && [ -z "${__seen[$p]:-}" ] || return 0
    __seen[$p]=1
    addToSearchPath PATH "$p/bin"
    [ -d "$p/include" ] && NIX_CFLAGS_COMPILE="$NIX_CFLAGS_COMPILE -isystem $p/include"
    [ -d "$p/lib" ] && NIX_LDFLAGS="$NIX_LDFLAGS -L$p/lib"
    addToSearchPath PKG_CONFIG_PATH "$p/lib/pkgconfig"
    addToSearchPath PKG_CONFIG_PATH "$p/share/pkgconfig"
    if [ -f "$p/nix-support/setup-hook" ]; then
        # shellcheck disable=SC1091
        source "$p/nix-support/setup-hook"
    fi
    for f in "$p/nix-support/propagated-build-inputs" "$p/nix-support/propagated-native-build-inputs"; do
        if [ -f "$f" ]; then
            for q in $(< "$f"); do addInput "$q"; done
        fi
    done
}

PATH=
for p in $initialPath; do
    addToSearchPath PATH "$p/bin"
    addToSearchPath PATH "$p/usr/bin"
done
for p in ${nativeBuildInputs:-} ${buildInputs:-} ${propagatedNativeBuildInputs:-} ${propagatedBuildInputs:-}; do
    addInput "$p"
done
export PATH

# ---- helpers -------------------------------------------------------------

# patchShebangs PATH...: #! lines naming /bin/X, /usr/bin/X or
# /usr/bin/env X are pointed at X found on PATH (there is no /bin/sh in the
# sandbox). Modification times are kept, so make sees no change.
patchShebangs() {
    local f first interp args prog new
    while IFS= read -r -d '' f; do
        IFS= read -r first < "$f" 2> /dev/null || [ -n "$first" ] || continue
        [[ $first == '#!'* ]] || continue
        read -r interp args <<< "${first#\#!}"
        case $interp in
        /usr/bin/env)
            read -r prog args <<< "$args"
            [[ $prog == -* ]] && continue
            ;;
        "${NIX_STORE:-/nix/store}"/*) continue ;;
        *) prog=${interp##*/} ;;
        esac
        new=$(type -P "$prog" || true)
        [ -n "$new" ] || { echo "patchShebangs: $f: $prog not found on PATH" >&2; continue; }
        echo "patchShebangs: $f: $interp${args:+ $args} -> $new${args:+ $args}"
        local tmp=$f.patchShebangs-tmp
        {
            printf '#!%s%s\n' "$new" "${args:+ $args}"
            tail -n +2 "$f"
        } > "$tmp"
        chmod --reference="$f" "$tmp"
        touch -r "$f" "$tmp"
        mv "$tmp" "$f"
    done < <(find "$@" -type f -perm -0100 -print0)
}

# ---- phases --------------------------------------------------------------

unpackFile() {
    local f=$1
    echo "unpacking source archive $f"
    case $f in
    *.tar.gz | *.tgz | *.tar.bz2 | *.tbz2 | *.tar.xz | *.txz | *.tar | *.tar.zst)
        tar xf "$f" --no-same-owner --warning=no-timestamp ;;
    *)
        if [ -d "$f" ]; then
            cp -r --preserve=mode,timestamps "$f" "./$(stripHash "$f")"
        else
            tar xf "$f" --no-same-owner --warning=no-timestamp
        fi ;;
    esac
}
stripHash() { local b=${1##*/}; echo "${b#*-}"; }

unpackPhase() {
    runHook preUnpack
    local srcs_=${srcs:-${src:-}} f
    [ -n "$srcs_" ] || { echo "unpackPhase: no src or srcs" >&2; exit 1; }
    local before=(*)
    for f in $srcs_; do unpackFile "$f"; done
    if [ -z "${sourceRoot:-}" ]; then
        local d
        for d in */; do
            local old=0 x
            for x in "${before[@]}"; do [ "$x/" = "$d" ] && old=1; done
            [ $old = 1 ] && continue
            [ -z "${sourceRoot:-}" ] || { echo "unpackPhase: several directories unpacked; set sourceRoot" >&2; exit 1; }
            sourceRoot=${d%/}
        done
    fi
    [ -n "${sourceRoot:-}" ] || { echo "unpackPhase: the source unpacked no directory" >&2; exit 1; }
    chmod -R u+w "$sourceRoot"
    cd "$sourceRoot"
    [ -n "${dontPatchShebangsInSource:-}" ] || patchShebangs .
    runHook postUnpack
}

patchPhase() {
    runHook prePatch
    local p
    for p in ${patches:-}; do
        echo "applying patch $p"
        case $p in
        *.gz) gzip -dc "$p" | patch ${patchFlags:--p1} ;;
        *.xz) xz -dc "$p" | patch ${patchFlags:--p1} ;;
        *) patch ${patchFlags:--p1} < "$p" ;;
        esac
    done
    runHook postPatch
}

configurePhase() {
    runHook preConfigure
    : "${configureScript:=}"
    if [ -z "$configureScript" ] && [ -x ./configure ]; then configureScript=./configure; fi
    if [ -n "$configureScript" ]; then
        local flags=()
        [ -n "${dontAddPrefix:-}" ] || flags+=("${prefixKey:---prefix=}$prefix")
        if [ -z "${dontDisableStatic:-}" ] && grep -q enable-static "$configureScript" 2> /dev/null; then
            flags+=(--disable-static)
        fi
        # shellcheck disable=SC2206
        flags+=(${configureFlags:-})
        echo "configure flags: ${flags[*]}"
        $CONFIG_SHELL $configureScript "${flags[@]}"
    else
        echo "no configure script, doing nothing"
    fi
    runHook postConfigure
}

# make with the flags every make phase shares: SHELL (no /bin/sh here),
# parallelism when enableParallelBuilding is set, makeFlags.
runMake() {
    local jobs=1
    [ -z "${enableParallelBuilding:-}" ] || jobs=$NIX_BUILD_CORES
    # shellcheck disable=SC2086
    make ${makefile:+-f "$makefile"} -j"$jobs" SHELL="$SHELL" ${makeFlags:-} "$@"
}

buildPhase() {
    runHook preBuild
    if [ -z "${makeFlags:-}${buildFlags:-}" ] && ! [ -e Makefile ] && ! [ -e makefile ] && ! [ -e GNUmakefile ] && [ -z "${makefile:-}" ]; then
        echo "no Makefile, doing nothing"
    else
        # shellcheck disable=SC2086
        runMake ${buildFlags:-}
    fi
    runHook postBuild
}

checkPhase() {
    runHook preCheck
    # shellcheck disable=SC2086
    runMake ${checkFlags:-} ${checkTarget:-check}
    runHook postCheck
}

installPhase() {
    runHook preInstall
    mkdir -p "$prefix"
    # shellcheck disable=SC2086
    runMake ${installFlags:-} ${installTargets:-install}
    runHook postInstall
}

# fixupPhase: strip debug info (its strings would pull build-time paths
# into the runtime closure), shrink RUNPATHs to the directories that hold a
# NEEDED library, patch shebangs, write propagated inputs.
fixupPhase() {
    runHook preFixup
    local o
    for o in $outputs; do
        local dir=${!o}
        [ -e "$dir" ] || continue
        [ -n "${dontStrip:-}" ] || stripDir "$dir"
        [ -n "${dontPatchELF:-}" ] || shrinkRpaths "$dir"
        [ -n "${dontPatchShebangs:-}" ] || patchShebangs "$dir"
    done
    if [ -n "${propagatedBuildInputs:-}" ]; then
        mkdir -p "$out/nix-support"
        echo "$propagatedBuildInputs" > "$out/nix-support/propagated-build-inputs"
    fi
    if [ -n "${setupHook:-}" ]; then
        mkdir -p "$out/nix-support"
        cp "$setupHook" "$out/nix-support/setup-hook"
    fi
    runHook postFixup
}

isELF() {
    local magic=
    LC_ALL=C read -r -N 4 magic < "$1" 2> /dev/null || true
    [[ $magic == $'\x7fELF' ]]
}

stripDir() {
    local f
    while IFS= read -r -d '' f; do
        isELF "$f" || continue
        strip ${stripDebugFlags:--S} "$f" 2> /dev/null || true
    done < <(find "$1" -type f \( -perm -0100 -o -name '*.so*' -o -name '*.a' \) -print0)
}

shrinkRpaths() {
    local f
    while IFS= read -r -d '' f; do
        isELF "$f" || continue
        patchelf --print-rpath "$f" > /dev/null 2>&1 || continue
        # Only store directories may stay: libtool leaves /build/…/.libs,
        # which would shadow $out/lib (shrinking keeps the first match).
        patchelf --shrink-rpath --allowed-rpath-prefixes "${NIX_STORE:-/nix/store}" "$f" 2> /dev/null || true
    done < <(find "$1" -type f \( -perm -0100 -o -name '*.so*' \) -print0)
}

installCheckPhase() {
    runHook preInstallCheck
    # shellcheck disable=SC2086
    runMake ${installCheckFlags:-} ${installCheckTarget:-installcheck}
    runHook postInstallCheck
}

# genericBuild runs $phases (default: the standard ones), each replaceable
# by a variable of its name holding shell code, skipped by dontX/doCheck.
genericBuild() {
    if [ -n "${buildCommand:-}" ]; then
        eval "$buildCommand"
        return
    fi
    local phases_=${phases:-"${prePhases:-} unpackPhase patchPhase ${preConfigurePhases:-} configurePhase ${preBuildPhases:-} buildPhase checkPhase ${preInstallPhases:-} installPhase ${preFixupPhases:-} fixupPhase installCheckPhase ${postPhases:-}"}
    local phase
    for phase in $phases_; do
        case $phase in
        unpackPhase) [ -z "${dontUnpack:-}" ] || continue ;;
        configurePhase) [ -z "${dontConfigure:-}" ] || continue ;;
        buildPhase) [ -z "${dontBuild:-}" ] || continue ;;
        checkPhase) [ -n "${doCheck:-}" ] || continue ;;
        installPhase) [ -z "${dontInstall:-}" ] || continue ;;
        fixupPhase) [ -z "${dontFixup:-}" ] || continue ;;
        installCheckPhase) [ -n "${doInstallCheck:-}" ] || continue ;;
        esac
        echo "@ phase $phase"
        if [ -n "${!phase:-}" ]; then eval "${!phase}"; else "$phase"; fi
    done
}
