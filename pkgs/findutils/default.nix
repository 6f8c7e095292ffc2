# GNU findutils from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  pkg = stdenv.mkDerivation {
    pname = "findutils";
    version = debian.sourceVersion "findutils";
    src = fetchDebianSource "findutils" null;
    enableParallelBuilding = true;

    passthru.tests.smoke = stdenv.runCommand "findutils-test-smoke" { } ''
      mkdir -p d/e && touch d/a.c d/e/b.c d/e/c.h
      [ "$(${pkg}/bin/find d -name "*.c" | sort | ${pkg}/bin/xargs echo)" = "d/a.c d/e/b.c" ]
      ${pkg}/bin/find --version | head -1 > $out
    '';
  };
in pkg
