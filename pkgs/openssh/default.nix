# OpenSSH with OpenSSL (RSA and ECDSA keys, the OpenSSL ciphers) and zlib.
{ stdenv, fetchDebianSource, debian, openssl, zlib }:
let
  openssh = stdenv.mkDerivation {
    pname = "openssh";
    version = debian.sourceVersion "openssh";
    src = fetchDebianSource "openssh" null;
    buildInputs = [ openssl zlib ];
    configureFlags = [
      "--with-ssl-dir=${openssl}" "--with-zlib=${zlib}" "--sysconfdir=/etc/ssh"
      "--with-privsep-path=/var/empty" "--with-pid-dir=/run" "--disable-strip"
    ];
    enableParallelBuilding = true;
    # install-nokeys: no host keys generated into the store; sysconfdir
    # files go to $out/etc/ssh.
    installTargets = "install-nokeys";
    installFlags = [ "sysconfdir=${placeholder "out"}/etc/ssh" "PRIVSEP_PATH=${placeholder "out"}/var/empty" ];

    # ssh -V names the OpenSSL it runs with; ssh-keygen makes ed25519 (its
    # own code), RSA and ECDSA keys (OpenSSL) and a signature it verifies.
    passthru.tests.version = stdenv.runCommand "openssh-test-version" { } ''
      ${openssh}/bin/ssh -V 2>&1 | tee $out
      grep -q "^OpenSSH_.*OpenSSL ${openssl.version}" $out
      ${openssh}/bin/ssh-keygen -q -t ed25519 -N "" -f key
      grep -q ssh-ed25519 key.pub
      ${openssh}/bin/ssh-keygen -q -t rsa -b 2048 -N "" -f rsa
      grep -q ssh-rsa rsa.pub
      ${openssh}/bin/ssh-keygen -q -t ecdsa -b 256 -N "" -f ecdsa
      grep -q ecdsa-sha2-nistp256 ecdsa.pub
      echo gonix > msg
      ${openssh}/bin/ssh-keygen -Y sign -f ecdsa -n file msg
      echo "gonix $(cat ecdsa.pub)" > allowed
      ${openssh}/bin/ssh-keygen -Y verify -f allowed -I gonix -n file -s msg.sig < msg | tee -a $out
      grep -q "Good" $out
    '';
  };
in openssh
