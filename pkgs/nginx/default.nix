# nginx with PCRE2 and zlib (no TLS yet: openssl needs perl's stage).
{ stdenv, fetchDebianSource, debian, pcre2, zlib }:
let
  nginx = stdenv.mkDerivation {
    pname = "nginx";
    version = debian.sourceVersion "nginx";
    src = fetchDebianSource "nginx" null;
    buildInputs = [ pcre2 zlib ];
    configureFlags = [ "--with-pcre" "--with-http_gzip_static_module" ];
    enableParallelBuilding = true;
    # nginx's configure runs its feature tests with a literal /bin/sh.
    postPatch = ''
      for f in $(grep -rl /bin/sh auto); do sed -i "s|/bin/sh|$SHELL|g" $f; done
    '';

    # nginx -t on a generated configuration.
    passthru.tests.config = stdenv.runCommand "nginx-test-config" { } ''
      mkdir -p logs
      cat > nginx.conf <<'C'
      error_log stderr;
      pid nginx.pid;
      events { worker_connections 16; }
      http {
        access_log off;
        server { listen 127.0.0.1:8080; location ~ ^/gonix/(\d+)$ { return 200 "$1"; } }
      }
      C
      ${nginx}/sbin/nginx -t -p "$PWD/" -c nginx.conf -e stderr 2>&1 | tee $out
      grep -q "test is successful" $out
    '';
  };
in nginx
