# GNU gnugrep from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  pkg = stdenv.mkDerivation {
    pname = "gnugrep";
    version = debian.sourceVersion "grep";
    src = fetchDebianSource "grep" null;
    enableParallelBuilding = true;

    passthru.tests.smoke = stdenv.runCommand "gnugrep-test-smoke" { } ''
      printf "one\ntwo\nthree\n" > in
      [ "$(${pkg}/bin/grep -c -E "^t" in)" = 2 ]
      [ "$(${pkg}/bin/grep -P -o "(?<=th)ree" in)" = ree ] || [ "$(${pkg}/bin/grep -o "ree" in)" = ree ]
      ${pkg}/bin/grep --version | head -1 > $out
    '';
  };
in pkg
