# OpenSSL from Debian's copy of the upstream tarball. Its Configure and
# build scripts are perl (the perl built from source: Debian's perl-base
# cannot run in the sandbox, see docs/design/bootstrap.md).
#
# Only the libraries, the openssl program and the configuration directory
# are built and installed (build_sw, install_sw install_ssldirs): the
# test programs (no-tests; `make test` takes longer than the rest of the
# build) and the manual pages are left out.
{ stdenv, fetchDebianSource, debian, perl, stage0 }:
let
  libc = stage0.seedLibc;
  openssl = stdenv.mkDerivation {
    pname = "openssl";
    version = debian.sourceVersion "openssl";
    src = fetchDebianSource "openssl" null;
    nativeBuildInputs = [ perl ];
    enableParallelBuilding = true;

    # OPENSSLDIR (openssl.cnf, the default CA file and directory) is in
    # the store, so the program works with no /etc at all; its certs
    # directory and cert.pem point at the host's CA store (Debian's
    # /etc/ssl/certs), as nixpkgs points them at /etc/ssl, so a TLS client
    # built on this library verifies servers where the host has CAs.
    configurePhase = ''
      runHook preConfigure
      perl ./Configure linux-x86_64 \
        --prefix=$out --openssldir=$out/etc/ssl --libdir=lib \
        shared no-tests
      runHook postConfigure
    '';
    buildFlags = "build_sw";
    installTargets = "install_sw install_ssldirs";
    postInstall = ''
      # misc/ holds perl scripts (CA.pl, tsget.pl), and so does c_rehash
      # (`openssl rehash` does its job): keeping them would put perl in the
      # runtime closure. The static libraries are not used by the
      # collection (consumers link the shared ones).
      rm -rf $out/etc/ssl/misc $out/bin/c_rehash $out/lib/libcrypto.a $out/lib/libssl.a
      rmdir $out/etc/ssl/certs
      ln -s /etc/ssl/certs $out/etc/ssl/certs
      ln -s /etc/ssl/certs/ca-certificates.crt $out/etc/ssl/cert.pem
    '';

    # openssl version; a SHA-256 checked against its known value; a
    # self-signed certificate made and verified; every ELF file's RUNPATH
    # names store directories only and the store's loader resolves every
    # library it needs inside the store (no host library, nothing missing).
    passthru.tests.run = stdenv.runCommand "openssl-test-run" { } ''
      ossl=${openssl}/bin/openssl
      $ossl version | tee $out
      grep -q "^OpenSSL ${openssl.version} " $out
      $ossl version -d | grep -q 'OPENSSLDIR: "${openssl}/etc/ssl"'

      digest=$(printf abc | $ossl dgst -sha256 -r)
      echo "sha256(abc) = $digest"
      [ "$digest" = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad *stdin" ]

      $ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout key.pem -out cert.pem -subj /CN=gonix.test -days 2
      $ossl x509 -in cert.pem -noout -subject | grep -q "CN = gonix.test"
      $ossl verify -CAfile cert.pem cert.pem | tee -a $out
      grep -q "^cert.pem: OK" $out
      echo gonix > msg
      $ossl dgst -sha256 -sign key.pem -out msg.sig msg
      $ossl dgst -sha256 -verify <($ossl x509 -in cert.pem -pubkey -noout) -signature msg.sig msg | grep -q "Verified OK"

      n=0
      while IFS= read -r -d "" f; do
        [ "$(head -c 4 "$f")" = "$(printf '\177ELF')" ] || continue
        n=$((n + 1))
        for d in $(patchelf --print-rpath "$f" | tr : " "); do
          case $d in
          /nix/store/*) ;;
          *) echo "$f: RUNPATH entry $d is outside the store" >&2; exit 1 ;;
          esac
        done
        list=$(${libc}/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --list "$f")
        echo "$list" | sed "s|^|  ''${f#${openssl}/}: |"
        if echo "$list" | grep -q "not found"; then echo "$f: a library is not found" >&2; exit 1; fi
        if echo "$list" | grep "=>" | grep -v "=> /nix/store/" | grep -q .; then
          echo "$f: a library resolves outside the store" >&2; exit 1
        fi
      done < <(find ${openssl}/bin ${openssl}/lib -type f -print0)
      echo "checked $n ELF files" | tee -a $out
      [ $n -ge 4 ]
    '';
  };
in openssl
