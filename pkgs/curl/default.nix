# curl with zlib (no TLS yet: openssl needs perl's stage).
{ stdenv, fetchDebianSource, debian, zlib }:
let
  curl = stdenv.mkDerivation {
    pname = "curl";
    version = debian.sourceVersion "curl";
    src = fetchDebianSource "curl" null;
    buildInputs = [ zlib ];
    configureFlags = [
      "--without-ssl" "--with-zlib=${zlib}" "--without-libpsl" "--without-brotli"
      "--without-zstd" "--without-nghttp2" "--without-libidn2" "--disable-ldap" "--disable-manual"
    ];
    enableParallelBuilding = true;

    passthru.tests.version = stdenv.runCommand "curl-test-version" { } ''
      ${curl}/bin/curl --version | tee $out
      grep -q "^curl ${curl.version}" $out
      echo gonix > f
      [ "$(${curl}/bin/curl -s file://$PWD/f)" = gonix ]
    '';
  };
in curl
