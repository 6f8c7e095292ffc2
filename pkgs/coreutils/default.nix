# GNU coreutils from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  pkg = stdenv.mkDerivation {
    pname = "coreutils";
    version = debian.sourceVersion "coreutils";
    src = fetchDebianSource "coreutils" null;
    enableParallelBuilding = true;

    passthru.tests.smoke = stdenv.runCommand "coreutils-test-smoke" { } ''
      [ "$(${pkg}/bin/echo hi | ${pkg}/bin/tr a-z A-Z)" = HI ]
      [ "$(printf "b\\na\\n" | ${pkg}/bin/sort | ${pkg}/bin/head -1)" = a ]
      ${pkg}/bin/sha256sum /dev/null | grep -q e3b0c442
      ${pkg}/bin/ls --version | head -1 > $out
    '';
  };
in pkg
