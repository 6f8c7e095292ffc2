# XZ Utils from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  xz = stdenv.mkDerivation {
    pname = "xz";
    version = debian.sourceVersion "xz-utils";
    src = fetchDebianSource "xz-utils" null;
    doCheck = true;
    enableParallelBuilding = true;

    passthru.tests.roundtrip = stdenv.runCommand "xz-test-roundtrip" { } ''
      seq 1 20000 > data
      ${xz}/bin/xz -9 -c data > data.xz
      ${xz}/bin/xz -d -c data.xz | cmp - data
      ${xz}/bin/xz --version | tee $out
      grep -q "${xz.version}" $out
    '';
  };
in xz
