# Sourced by fixup.sh for seeds whose scripts name /usr/share, /usr/bin
# or /bin/sh (Debian's autoconf, automake and libtool find their data, m4
# and perl this way). Environment:
#   rewriteDirs  directories (relative to $out) whose scripts are rewritten
#   perl         the perl they are to run
#   wrapperShell the shell for their #!/bin/sh
# /usr paths are pointed into $out, perl to $perl, /bin/sh to
# $wrapperShell, libtoolize's default /bin/sed and /bin/grep to the ones
# on PATH; usr/bin/* is linked into bin (with the names Debian's
# update-alternatives would add).
if [[ -n ${rewriteDirs:-} ]]; then
    for d in $rewriteDirs; do
        while IFS= read -r -d '' f; do
            magic=
            LC_ALL=C read -r -N 4 magic < "$f" || true
            [[ $magic == $'\x7fELF' ]] && continue
            # m4's frozen files count their strings' lengths: left alone.
            [[ $f == *.m4f ]] && continue
            sed -i -E -e "1s@^#! ?/usr/bin/env (ba)?sh( |\$)@#!$wrapperShell\\2@" \
                -e "s@(^|[^A-Za-z0-9_.-])/usr/(share|bin)/@\\1$out/usr/\\2/@g" \
                -e "s@$out/usr/bin/perl([^0-9A-Za-z_.-]|\$)@$perl\\1@g" \
                -e "1s@^#! ?/bin/(ba)?sh@#!$wrapperShell@" \
                -e 's@^: \$\{(E|F)?(GREP|SED)="/bin/@: ${\1\2="@' "$f"
        done < <(find "$out/$d" -type f -print0)
        echo "fixup: /usr paths in $d point into the store"
    done
    mkdir -p "$out/bin"
    for b in "$out"/usr/bin/*; do
        n=${b##*/}
        [[ -e $out/bin/$n || -L $out/bin/$n ]] || ln -s "$b" "$out/bin/$n"
        if [[ $n == *-[0-9].[0-9]* && ! -e $out/bin/${n%-*} ]]; then
            ln -s "$b" "$out/bin/${n%-*}"
        fi
    done
fi
