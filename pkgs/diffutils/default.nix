# GNU diffutils from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  pkg = stdenv.mkDerivation {
    pname = "diffutils";
    version = debian.sourceVersion "diffutils";
    src = fetchDebianSource "diffutils" null;
    enableParallelBuilding = true;

    passthru.tests.smoke = stdenv.runCommand "diffutils-test-smoke" { } ''
      printf "a\\nb\\n" > x; printf "a\\nc\\n" > y
      ${pkg}/bin/diff x y > d || [ $? = 1 ]
      grep -q "^> c" d
      ${pkg}/bin/cmp x x
      ${pkg}/bin/diff --version | head -1 > $out
    '';
  };
in pkg
