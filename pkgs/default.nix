# gonixpkgs: a package collection built from source by gonix, with a stdenv
# bootstrapped from pinned Debian binary seeds (docs/design/bootstrap.md).
#
#   gonix nix-build '<gonixpkgs>' -A hello
#   import <gonixpkgs> { overlays = [ (self: super: { ... }) ]; }
{ overlays ? [ ], system ? builtins.currentSystem, config ? { } }:
if system != "x86_64-linux" then throw "gonixpkgs: only x86_64-linux is supported (the seeds are Debian amd64), not ${system}" else
let
  lib = import ./lib.nix;
  base = self: import ./top-level.nix { inherit lib self; };
in lib.fix (lib.composeOverlays overlays base)
