# jq from Debian's copy of the upstream tarball, with oniguruma.
{ stdenv, fetchDebianSource, debian, oniguruma, autoreconfHook }:
let
  jq = stdenv.mkDerivation {
    pname = "jq";
    version = debian.sourceVersion "jq";
    src = fetchDebianSource "jq" null;
    # Debian's orig tarball is the git tag: no ./configure.
    nativeBuildInputs = [ autoreconfHook ];
    buildInputs = [ oniguruma ];
    configureFlags = [ "--disable-docs" "--disable-maintainer-mode" "--with-oniguruma=${oniguruma}" ];
    doCheck = true;
    enableParallelBuilding = true;

    passthru.tests.filter = stdenv.runCommand "jq-test-filter" { } ''
      got=$(echo '{"a":[1,2,{"b":"gonix"}]}' | ${jq}/bin/jq -r '.a[2].b')
      [ "$got" = gonix ]
      [ "$(echo '"abc"' | ${jq}/bin/jq 'test("b+")')" = true ]
      ${jq}/bin/jq --version > $out
    '';
  };
in jq
