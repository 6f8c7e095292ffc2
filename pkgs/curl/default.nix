# curl with OpenSSL (TLS) and zlib.
{ stdenv, fetchDebianSource, debian, zlib, openssl }:
let
  curl = stdenv.mkDerivation {
    pname = "curl";
    version = debian.sourceVersion "curl";
    src = fetchDebianSource "curl" null;
    buildInputs = [ openssl zlib ];
    # No CA bundle or directory is compiled in (configure would probe the
    # build sandbox, which has none): --with-ca-fallback uses OpenSSL's
    # defaults, whose OPENSSLDIR links to the host's /etc/ssl/certs.
    configureFlags = [
      "--with-openssl=${openssl}" "--without-ca-bundle" "--without-ca-path" "--with-ca-fallback"
      "--with-zlib=${zlib}" "--without-libpsl" "--without-brotli"
      "--without-zstd" "--without-nghttp2" "--without-libidn2" "--disable-ldap" "--disable-manual"
    ];
    enableParallelBuilding = true;

    # --version names OpenSSL and HTTPS; a file:// fetch; an HTTPS fetch
    # from `openssl s_server` on the sandbox's loopback, first refused (the
    # self-signed certificate is not trusted), then verified with --cacert.
    passthru.tests.version = stdenv.runCommand "curl-test-version" { } ''
      ${curl}/bin/curl --version | tee $out
      grep -q "^curl ${curl.version} .* OpenSSL/${openssl.version}" $out
      grep -q "^Protocols:.* https" $out
      echo gonix > f
      [ "$(${curl}/bin/curl -s file://$PWD/f)" = gonix ]

      ossl=${openssl}/bin/openssl
      $ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout key.pem -out cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2
      mkdir www && echo "gonix over TLS" > www/index.txt
      port=44300
      (cd www && exec $ossl s_server -quiet -accept 127.0.0.1:$port -cert ../cert.pem -key ../key.pem -WWW) &
      server=$!
      trap 'kill $server 2> /dev/null || true' EXIT
      for i in $(seq 50); do
        ${curl}/bin/curl -s --cacert cert.pem -o got https://127.0.0.1:$port/index.txt && break
        sleep 0.2
      done
      [ "$(cat got)" = "gonix over TLS" ]
      if ${curl}/bin/curl -s -o /dev/null https://127.0.0.1:$port/index.txt; then
        echo "curl accepted an untrusted certificate" >&2; exit 1
      fi
      echo "https fetch: $(cat got)" | tee -a $out
    '';
  };
in curl
