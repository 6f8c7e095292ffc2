# Every package of the collection, as a function of the final package set
# (self), so overlays can replace any of them.
{ lib, self }:
let
  callPackage = lib.callPackageWith self;
in {
  inherit lib callPackage;
  pkgs = self;

  debian = import ./debian { inherit lib; };
  stage0 = import ./stage0 { inherit (self) debian; };

  stdenv = import ./stdenv { inherit lib; inherit (self) stage0; };
  inherit (self.stdenv) fetchurl;
  fetchDebianSource = self.debian.fetchSource;
  mkShell = import ./build-support/mkshell { inherit (self) stdenv; };
  autoreconfHook = callPackage ./autoreconf-hook { };

  hello = callPackage ./hello { };
  zlib = callPackage ./zlib { };
  bzip2 = callPackage ./bzip2 { };
  xz = callPackage ./xz { };
  zstd = callPackage ./zstd { };
  pcre2 = callPackage ./pcre2 { };
  gnused = callPackage ./gnused { };
  gnugrep = callPackage ./gnugrep { };
  findutils = callPackage ./findutils { };
  diffutils = callPackage ./diffutils { };
  gawk = callPackage ./gawk { };
  bash = callPackage ./bash { };
  coreutils = callPackage ./coreutils { };
  nginx = callPackage ./nginx { };
  curl = callPackage ./curl { };
  openssh = callPackage ./openssh { };
  openssl = callPackage ./openssl { };
  perl = callPackage ./perl { };
  oniguruma = callPackage ./oniguruma { };
  jq = callPackage ./jq { };
  gnumake = callPackage ./gnumake { };
  tcl = callPackage ./tcl { };
  sqlite = callPackage ./sqlite { };
}
