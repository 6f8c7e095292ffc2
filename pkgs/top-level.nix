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

  hello = callPackage ./hello { };
  zlib = callPackage ./zlib { };
  bzip2 = callPackage ./bzip2 { };
  xz = callPackage ./xz { };
}
