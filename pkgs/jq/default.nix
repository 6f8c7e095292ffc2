# jq from Debian's copy of the upstream tarball, with oniguruma.
{ stdenv, fetchDebianSource, debian, oniguruma, autoreconfHook }:
let
  version = debian.sourceVersion "jq";
  jq = stdenv.mkDerivation {
    pname = "jq";
    inherit version;
    src = fetchDebianSource "jq" null;
    # Debian's orig tarball is the git tag: no ./configure.
    nativeBuildInputs = [ autoreconfHook ];
    buildInputs = [ oniguruma ];
    configureFlags = [ "--disable-docs" "--disable-maintainer-mode" "--with-oniguruma=${oniguruma}" ];
    # The version comes from `git describe` through m4_esyscmd (a shell
    # m4 cannot find here, and no .git anyway): pin it.
    postPatch = ''
      sed -i '1,4c m4_define([jq_version], [${version}])' configure.ac
    '';
    enableParallelBuilding = true;

    passthru.tests.filter = stdenv.runCommand "jq-test-filter" { } ''
      got=$(echo '{"a":[1,2,{"b":"gonix"}]}' | ${jq}/bin/jq -r '.a[2].b')
      [ "$got" = gonix ]
      [ "$(echo '"abc"' | ${jq}/bin/jq 'test("b+")')" = true ]
      ${jq}/bin/jq --version > $out
    '';
  };
in jq
