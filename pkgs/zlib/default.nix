# zlib from Debian's copy of the upstream tarball (its own configure script).
{ stdenv, fetchDebianSource, debian }:
let
  zlib = stdenv.mkDerivation {
    pname = "zlib";
    version = debian.sourceVersion "zlib";
    src = fetchDebianSource "zlib" null;
    doCheck = true;
    checkTarget = "test";
    enableParallelBuilding = true;
    # zlib's configure knows --static/--shared, not --enable-static.
    dontDisableStatic = true;

    # A program compiled against zlib through buildInputs round-trips data.
    passthru.tests.compress = stdenv.runCommand "zlib-test-compress" { buildInputs = [ zlib ]; } ''
      cat > t.c <<'C'
      #include <stdio.h>
      #include <string.h>
      #include <zlib.h>
      int main(void) {
        const char *msg = "gonixpkgs zlib round trip";
        unsigned char z[128], back[128];
        uLongf zn = sizeof z, bn = sizeof back;
        if (compress(z, &zn, (const Bytef *)msg, strlen(msg) + 1) != Z_OK) return 1;
        if (uncompress(back, &bn, z, zn) != Z_OK) return 2;
        printf("%s %s\n", zlibVersion(), back);
        return strcmp((char *)back, msg) != 0;
      }
      C
      cc -o t t.c -lz
      ./t | tee $out
      grep -q "round trip" $out
    '';
  };
in zlib
