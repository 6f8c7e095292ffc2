# GNU hello from Debian's copy of the upstream tarball.
{ stdenv, fetchDebianSource, debian }:
let
  hello = stdenv.mkDerivation {
    pname = "hello";
    version = debian.sourceVersion "hello";
    src = fetchDebianSource "hello" null;

    doCheck = true;
    enableParallelBuilding = true;

    # nix-build '<gonixpkgs>' -A hello.tests.run
    passthru.tests.run = stdenv.runCommand "hello-test-run" { } ''
      said=$(${hello}/bin/hello)
      echo "hello says: $said"
      [ "$said" = "Hello, world!" ]
      [ "$(${hello}/bin/hello -g gonix)" = gonix ]
      echo "$said" > $out
    '';

    meta = {
      description = "A program that produces a familiar, friendly greeting";
      homepage = "https://www.gnu.org/software/hello/";
      license = "GPL-3.0-or-later";
    };
  };
in hello
