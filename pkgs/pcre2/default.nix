# PCRE2, the Perl-compatible regular expression library.
{ stdenv, fetchDebianSource, debian }:
let
  pcre2 = stdenv.mkDerivation {
    pname = "pcre2";
    version = debian.sourceVersion "pcre2";
    src = fetchDebianSource "pcre2" null;
    enableParallelBuilding = true;
    configureFlags = [ "--enable-jit" ];

    passthru.tests.grep = stdenv.runCommand "pcre2-test-grep" { } ''
      printf 'foo1\nbar22\nbaz333\n' > in
      [ "$(${pcre2}/bin/pcre2grep -c '\d{2,}' in)" = 2 ]
      ${pcre2}/bin/pcre2grep -o 'ba\w(?=\d{3})' in | tee $out
      grep -qx baz $out
    '';
  };
in pcre2
