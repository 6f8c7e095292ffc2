# GNU gnused from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  pkg = stdenv.mkDerivation {
    pname = "gnused";
    version = debian.sourceVersion "sed";
    src = fetchDebianSource "sed" null;
    enableParallelBuilding = true;

    passthru.tests.smoke = stdenv.runCommand "gnused-test-smoke" { } ''
      printf "hello world\n" > in
      [ "$(${pkg}/bin/sed -E 's/(w[a-z]+)/<\1>/' in)" = "hello <world>" ]
      ${pkg}/bin/sed --version | head -1 > $out
    '';
  };
in pkg
