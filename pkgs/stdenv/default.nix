# stdenv: mkDerivation over the stage-0 toolchain (seed gcc behind the
# compiler wrapper, seed binutils and tools), and fetchurl for sources.
{ lib, stage0 }:
let
  inherit (stage0) seedTools seedBinutils ccWrapper shell;

  stdenv = {
    name = "stdenv-stage0";
    system = "x86_64-linux";
    inherit shell;
    cc = ccWrapper;
    initialPath = [ ccWrapper seedBinutils seedTools ];
    setup = ./setup.sh;

    # mkDerivation attrs: a derivation run by setup.sh's genericBuild.
    # Attributes become the builder's environment, as in nixpkgs; pname +
    # version name it; passthru and meta are kept out of the derivation;
    # overrideAttrs (f: old: new or old: new) rebuilds with changed attrs.
    mkDerivation = attrs: mkDerivationWith stdenv attrs;
  };

  mkDerivationWith = stdenv: attrs:
    let
      passthru = attrs.passthru or { };
      meta = attrs.meta or { };
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      boolEnv = n: if attrs.${n} or false then "1" else "";
      clean = removeAttrs attrs [ "passthru" "meta" "doCheck" "doInstallCheck" "enableParallelBuilding" "dontStrip" ];
      drv = derivation (clean // {
        inherit name;
        system = stdenv.system;
        builder = stdenv.shell;
        args = [ "-e" ./builder.sh ];
        stdenvSetup = stdenv.setup;
        shell = stdenv.shell;
        initialPath = stdenv.initialPath;
        doCheck = boolEnv "doCheck";
        doInstallCheck = boolEnv "doInstallCheck";
        enableParallelBuilding = boolEnv "enableParallelBuilding";
        dontStrip = boolEnv "dontStrip";
      });
      self = drv // passthru // {
        inherit meta passthru stdenv;
        overrideAttrs = f:
          let new = f attrs; in
          mkDerivationWith stdenv (attrs // (if builtins.isFunction new then new attrs else new));
      };
    in self;

  # fetchurl { url; sha256 | hash; name? }: a fixed-output download by the
  # builtin fetcher (mirror:// URLs allowed).
  fetchurl = args: import <nix/fetchurl.nix> (removeAttrs args [ "meta" "passthru" ]);

  # runCommand name env script: a derivation running script with the
  # stdenv's tools on PATH.
  runCommand = name: env: script: mkDerivationWith stdenv (env // {
    inherit name;
    buildCommand = script;
  });
in
stdenv // { inherit fetchurl runCommand; }
