# Tcl 8.6 from Debian's copy of the upstream tarball (tcl8.6: the bundled
# extension packages under pkgs/ removed), with zlib. sqlite's build runs
# tclsh to generate its sources and the amalgamation.
{ stdenv, fetchDebianSource, debian, zlib }:
let
  tcl = stdenv.mkDerivation {
    pname = "tcl";
    version = debian.sourceVersion "tcl8.6";
    src = fetchDebianSource "tcl8.6" null;
    buildInputs = [ zlib ];
    preConfigure = "cd unix";
    configureFlags = [ "--enable-threads" "--enable-shared" "--enable-64bit" ];
    enableParallelBuilding = true;
    # Everything but the manual pages (install-doc) and the bundled
    # packages (none in Debian's tarball).
    installTargets = "install-binaries install-libraries install-msgs install-tzdata install-headers install-private-headers";
    # `tclsh`, the name most scripts and configure checks look for.
    postInstall = ''
      ln -s tclsh8.6 $out/bin/tclsh
    '';

    passthru = {
      libPrefix = "tcl8.6";
      tests.run = stdenv.runCommand "tcl-test-run" { } ''
        [ "$(echo 'puts [expr {6 * 7}]' | ${tcl}/bin/tclsh)" = 42 ]
        cat > t.tcl <<'TCL'
        package require msgcat
        set z [zlib compress [string repeat gonix 100]]
        if {[zlib decompress $z] ne [string repeat gonix 100]} { error "zlib round trip" }
        puts "[info patchlevel] [clock format 86400 -format %Y-%m-%d -timezone :UTC]"
        TCL
        ${tcl}/bin/tclsh8.6 t.tcl | tee $out
        grep -q '^${builtins.replaceStrings [ "+dfsg" ] [ "" ] tcl.version} 1970-01-02$' $out
      '';
    };
  };
in tcl
