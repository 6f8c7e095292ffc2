#!/usr/bin/env bash
# Regenerates pkgs/debian/pins.json from the Debian archive's current indexes:
# for every binary seed in seeds.txt, (version, pool filename, sha256) from
# dists/$SUITE/main/binary-amd64/Packages.xz; for every source package in
# sources.txt, its upstream tarballs (*.orig.tar.*) with sha256 from
# dists/$SUITE/main/source/Sources.xz. Run it when a build fails because a
# pinned pool file is gone (Debian removes superseded versions).
#
# The mirror is GONIX_MIRROR_DEBIAN's first URL, else http://deb.debian.org/debian
# (the pins hold pool paths only, so any mirror of the archive serves them).
# Needs bash, curl, xz and awk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${SUITE:-bookworm}
mirror=${GONIX_MIRROR_DEBIAN:-http://deb.debian.org/debian}
mirror=${mirror%% *}
mirror=${mirror%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

curl -sSfL "$mirror/dists/$suite/main/binary-amd64/Packages.xz" | xz -d > "$tmp/Packages"
curl -sSfL "$mirror/dists/$suite/main/source/Sources.xz" | xz -d > "$tmp/Sources"

list() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1" | tr -s ' \t' '\n' | sed '/^$/d'; }

{
    printf '{\n  "suite": "%s",\n  "binary": {\n' "$suite"
    awk -v want="$(list "$here/seeds.txt" | LC_ALL=C sort -u | tr '\n' ' ')" '
        function flush() {
            if (pkg in need && arch != "" && !(pkg in ver)) {
                ver[pkg] = version; file[pkg] = filename; sha[pkg] = sha256
            }
            pkg = ""; version = ""; filename = ""; sha256 = ""; arch = ""
        }
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        /^Package: / { pkg = $2 }
        /^Version: / { version = $2 }
        /^Architecture: / { arch = $2 }
        /^Filename: / { filename = $2 }
        /^SHA256: / { sha256 = $2 }
        /^$/ { flush() }
        END {
            flush()
            first = 1
            for (i = 1; i <= n; i++) {
                p = w[i]
                if (!(p in ver)) { print "update-pins: binary package " p " not in the index" > "/dev/stderr"; exit 1 }
                printf "%s    \"%s\": { \"version\": \"%s\", \"filename\": \"%s\", \"sha256\": \"%s\" }", (first ? "" : ",\n"), p, ver[p], file[p], sha[p]
                first = 0
            }
            printf "\n"
        }' "$tmp/Packages"
    printf '  },\n  "source": {\n'
    awk -v want="$(list "$here/sources.txt" | LC_ALL=C sort -u | tr '\n' ' ')" '
        function flush() {
            if (pkg in need && !(pkg in ver)) {
                ver[pkg] = version; dir[pkg] = directory; fl[pkg] = files
            }
            pkg = ""; version = ""; directory = ""; files = ""; insha = 0
        }
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 }
        /^Package: / { pkg = $2; insha = 0; next }
        /^Version: / { version = $2; insha = 0; next }
        /^Directory: / { directory = $2; insha = 0; next }
        /^Checksums-Sha256:/ { insha = 1; next }
        /^ / && insha {
            if ($3 ~ /\.orig(-[a-z0-9-]+)?\.tar\.[a-z0-9]+$/) files = files $1 " " $3 "\n"
            next
        }
        /^[^ ]/ { insha = 0 }
        /^$/ { flush() }
        END {
            flush()
            first = 1
            for (i = 1; i <= n; i++) {
                p = w[i]
                if (!(p in ver) || fl[p] == "") { print "update-pins: source package " p " (with an .orig tarball) not in the index" > "/dev/stderr"; exit 1 }
                printf "%s    \"%s\": { \"version\": \"%s\", \"files\": {", (first ? "" : ",\n"), p, ver[p]
                m = split(fl[p], lines, "\n"); sep = " "
                for (j = 1; j <= m; j++) {
                    if (lines[j] == "") continue
                    split(lines[j], f, " ")
                    printf "%s\"%s\": { \"path\": \"%s/%s\", \"sha256\": \"%s\" }", sep, f[2], dir[p], f[2], f[1]
                    sep = ", "
                }
                printf " } }"
                first = 0
            }
            printf "\n"
        }' "$tmp/Sources"
    printf '  }\n}\n'
} > "$tmp/pins.json"
mv "$tmp/pins.json" "$here/pins.json"
echo "update-pins: wrote $here/pins.json ($suite, from $mirror)" >&2
