# Zstandard (Debian source package libzstd): plain Makefiles.
{ stdenv, fetchDebianSource, debian }:
let
  zstd = stdenv.mkDerivation {
    pname = "zstd";
    version = debian.sourceVersion "libzstd";
    src = fetchDebianSource "libzstd" null;
    enableParallelBuilding = true;
    makeFlags = [ "PREFIX=${placeholder "out"}" ];

    passthru.tests.roundtrip = stdenv.runCommand "zstd-test-roundtrip" { } ''
      seq 1 20000 > data
      ${zstd}/bin/zstd -q -19 -c data > data.zst
      ${zstd}/bin/zstd -q -d -c data.zst | cmp - data
      ${zstd}/bin/zstd --version | tee $out
    '';
  };
in zstd
