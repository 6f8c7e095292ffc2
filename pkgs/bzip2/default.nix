# bzip2 from Debian's copy of the upstream tarball: plain Makefiles; the
# shared library comes from Makefile-libbz2_so.
{ stdenv, fetchDebianSource, debian }:
let
  bzip2 = stdenv.mkDerivation {
    pname = "bzip2";
    version = debian.sourceVersion "bzip2";
    src = fetchDebianSource "bzip2" null;
    enableParallelBuilding = true;
    # `make` (all) runs bzip2's own tests after building.
    buildPhase = ''
      runMake -f Makefile-libbz2_so
      runMake clean
      runMake
    '';
    installFlags = [ "PREFIX=${placeholder "out"}" ];
    postInstall = ''
      cp -P libbz2.so.1.0.8 libbz2.so.1.0 $out/lib/
      ln -s libbz2.so.1.0 $out/lib/libbz2.so.1
      ln -s libbz2.so.1.0 $out/lib/libbz2.so
    '';

    passthru.tests.roundtrip = stdenv.runCommand "bzip2-test-roundtrip" { } ''
      seq 1 20000 > data
      ${bzip2}/bin/bzip2 -9 -c data > data.bz2
      ${bzip2}/bin/bunzip2 -c data.bz2 | cmp - data
      ${bzip2}/bin/bzip2 --help 2>&1 | head -1 > $out
    '';
  };
in bzip2
