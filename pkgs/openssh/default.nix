# OpenSSH without OpenSSL (its internal crypto: ed25519, chacha20-poly1305).
{ stdenv, fetchDebianSource, debian, zlib }:
let
  openssh = stdenv.mkDerivation {
    pname = "openssh";
    version = debian.sourceVersion "openssh";
    src = fetchDebianSource "openssh" null;
    buildInputs = [ zlib ];
    configureFlags = [
      "--without-openssl" "--with-zlib=${zlib}" "--sysconfdir=/etc/ssh"
      "--with-privsep-path=/var/empty" "--with-pid-dir=/run" "--disable-strip"
    ];
    enableParallelBuilding = true;
    # install-nokeys: no host keys generated into the store; sysconfdir
    # files go to $out/etc/ssh.
    installTargets = "install-nokeys";
    installFlags = [ "sysconfdir=${placeholder "out"}/etc/ssh" "PRIVSEP_PATH=${placeholder "out"}/var/empty" ];

    passthru.tests.version = stdenv.runCommand "openssh-test-version" { } ''
      ${openssh}/bin/ssh -V 2>&1 | tee $out
      grep -q OpenSSH $out
      ${openssh}/bin/ssh-keygen -q -t ed25519 -N "" -f key
      grep -q ssh-ed25519 key.pub
    '';
  };
in openssh
