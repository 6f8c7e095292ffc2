# autotools: Debian's m4, autoconf, automake and libtool, their scripts
# pointed at the store (data directories, m4, a perl built from source, the
# seed bash); autoreconfHook: as a nativeBuildInput, puts them on PATH and
# runs `autoreconf -fi` (autoreconfFlags) before configure, for sources
# shipped without ./configure.
{ stdenv, stage0, perl }:
let
  autotools = stage0.mkSeed {
    name = "autotools";
    libc = stage0.seedLibc;
    members = [ "m4" "autoconf" "automake" "autotools-dev" "libtool" ];
    extra = {
      extraFixup = ../stage0/rewrite-usr.sh;
      rewriteDirs = [ "usr/bin" "usr/share/autoconf" "usr/share/automake-1.16" "usr/share/aclocal-1.16" "usr/share/aclocal" "usr/share/libtool" ];
      perl = "${perl}/bin/perl";
      wrapperShell = stage0.shell;
    };
  };
in
stdenv.runCommand "autoreconf-hook" { inherit autotools perl; passthru = { inherit autotools; }; } ''
  mkdir -p $out/nix-support
  cat > $out/nix-support/setup-hook <<EOF
  addToSearchPath PATH $autotools/bin
  addToSearchPath PATH $perl/bin
  autoreconfPhase() { autoreconf \''${autoreconfFlags:--fi}; }
  addHook preConfigure autoreconfPhase
  EOF
''
