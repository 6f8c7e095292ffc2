# nginx with TLS (OpenSSL), PCRE2 and zlib.
{ stdenv, fetchDebianSource, debian, openssl, pcre2, zlib, curl }:
let
  nginx = stdenv.mkDerivation {
    pname = "nginx";
    version = debian.sourceVersion "nginx";
    src = fetchDebianSource "nginx" null;
    buildInputs = [ openssl pcre2 zlib ];
    configureFlags = [ "--with-pcre" "--with-http_ssl_module" "--with-http_gzip_static_module" ];
    enableParallelBuilding = true;
    # nginx's configure runs its feature tests with a literal /bin/sh.
    postPatch = ''
      for f in $(grep -rl /bin/sh auto); do sed -i "s|/bin/sh|$SHELL|g" $f; done
    '';

    # nginx -V names OpenSSL; nginx -t on a generated configuration with an
    # ssl listener and a certificate made by openssl (-t loads both); then
    # nginx serves that configuration on the sandbox's loopback and curl
    # fetches over TLS, verifying the certificate.
    passthru.tests.config = stdenv.runCommand "nginx-test-config" { } ''
      ${nginx}/sbin/nginx -V 2>&1 | tee $out
      grep -q "built with OpenSSL ${openssl.version}" $out
      grep -q -- "--with-http_ssl_module" $out
      ${openssl}/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout key.pem -out cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost -days 2
      mkdir -p logs
      cat > nginx.conf <<'C'
      error_log stderr;
      pid nginx.pid;
      events { worker_connections 16; }
      http {
        access_log off;
        server { listen 127.0.0.1:8080; location ~ ^/gonix/(\d+)$ { return 200 "$1"; } }
        server {
          listen 127.0.0.1:8443 ssl;
          ssl_certificate cert.pem;
          ssl_certificate_key key.pem;
          ssl_protocols TLSv1.2 TLSv1.3;
          location / { return 200 "gonix over TLS"; }
        }
      }
      C
      ${nginx}/sbin/nginx -t -p "$PWD/" -c nginx.conf -e stderr 2>&1 | tee -a $out
      grep -q "test is successful" $out
      # a certificate that does not exist must fail the test run
      sed -i 's|ssl_certificate cert.pem|ssl_certificate missing.pem|' nginx.conf
      if ${nginx}/sbin/nginx -t -p "$PWD/" -c nginx.conf -e stderr 2> bad; then
        echo "nginx -t accepted a missing certificate" >&2; exit 1
      fi
      grep -q "missing.pem" bad
      sed -i 's|ssl_certificate missing.pem|ssl_certificate cert.pem|' nginx.conf

      ${nginx}/sbin/nginx -p "$PWD/" -c nginx.conf -e stderr -g "daemon off; master_process off;" &
      server=$!
      trap 'kill $server 2> /dev/null || true' EXIT
      for i in $(seq 50); do
        ${curl}/bin/curl -s --cacert cert.pem --resolve localhost:8443:127.0.0.1 -o got https://localhost:8443/ && break
        sleep 0.2
      done
      [ "$(cat got)" = "gonix over TLS" ]
      [ "$(${curl}/bin/curl -s http://127.0.0.1:8080/gonix/42)" = 42 ]
      echo "https fetch: $(cat got)" | tee -a $out
    '';
  };
in nginx
