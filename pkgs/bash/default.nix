# GNU bash from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  pkg = stdenv.mkDerivation {
    pname = "bash";
    version = debian.sourceVersion "bash";
    src = fetchDebianSource "bash" null;
    enableParallelBuilding = true;

    passthru.tests.smoke = stdenv.runCommand "bash-test-smoke" { } ''
      [ "$(${pkg}/bin/bash -c 'a=(x y z); echo ''${#a[@]} ''${a[1]^^}')" = "3 Y" ]
      ${pkg}/bin/bash --version | head -1 > $out
    '';
  };
in pkg
