# GNU make from Debian's copy of the upstream tarball (make-dfsg: the
# GFDL manual and doc/ removed, no ./configure), autoreconf'd.
{ stdenv, fetchDebianSource, debian, autoreconfHook }:
let
  gnumake = stdenv.mkDerivation {
    pname = "gnumake";
    version = debian.sourceVersion "make-dfsg";
    src = fetchDebianSource "make-dfsg" null;
    nativeBuildInputs = [ autoreconfHook ];
    # configure.ac calls AM_GNU_GETTEXT_VERSION, so autoreconf would run
    # gettext's autopoint, which only copies gettext's m4 files and
    # po/Makefile.in.in into the tree: the tarball already holds both
    # (m4/gettext.m4, po.m4, ...; po/Makefile.in.in), and NLS is off.
    AUTOPOINT = "true";
    configureFlags = [ "--disable-nls" "--without-guile" ];
    postPatch = ''
      # doc/ (with make.1) is not in the DFSG tarball.
      sed -i '/^man_MANS =/d' Makefile.am
      # gnulib's gl_INIT checks with m4_syscmd that the lib/ files it
      # lists exist; the seed m4 runs syscmd through /bin/sh, which the
      # sandbox lacks. Skip that check (a missing file still fails the
      # build).
      sed -i 's/m4_ifval(gl\(tests\)\{0,1\}_LIBSOURCES_LIST, \[/m4_ifval([], [/' m4/gnulib-comp.m4
      [ "$(grep -c 'm4_ifval(\[\], \[' m4/gnulib-comp.m4)" = 2 ]
      # Makefile is listed twice, which autoconf 2.71 refuses.
      sed -i 's|^AC_CONFIG_FILES(\[Makefile build.cfg lib/Makefile po/Makefile.in Makefile |AC_CONFIG_FILES([Makefile build.cfg lib/Makefile po/Makefile.in |' configure.ac
      grep -q '^AC_CONFIG_FILES(\[Makefile build.cfg lib/Makefile po/Makefile.in \\$' configure.ac
      # Guile is off, and its probe needs pkg-config's pkg.m4, which the
      # autotools seed does not have: drop the probe.
      sed -i '/^PKG_PROG_PKG_CONFIG$/,/^])$/c have_guile=no' configure.ac
      ! grep -q 'PKG_' configure.ac
      # Recipes run "sh" found on PATH, not /bin/sh: a build sandbox has
      # no /bin/sh (nixpkgs' make does the same). A SHELL set in the
      # makefile, the environment of a sub-make or the command line wins.
      sed -i 's|^const char \*default_shell = "/bin/sh";$|const char *default_shell = "sh";|' src/job.c
      grep -q '^const char \*default_shell = "sh";$' src/job.c
    '';
    enableParallelBuilding = true;

    # `make --version`, and a Makefile whose rule has a dependency, run
    # without SHELL= in a sandbox that has no /bin/sh; the second run must
    # find the target up to date.
    passthru.tests.run = stdenv.runCommand "gnumake-test-run" { } ''
      ${gnumake}/bin/make --version | tee version
      grep -q "^GNU Make ${gnumake.version}$" version
      mkdir t && cd t
      printf 'gonix\n' > in.txt
      {
        printf 'out.txt: mid.txt\n\ttr a-z A-Z < $< > $@\n'
        printf 'mid.txt: in.txt\n\tcat $< $< > $@\n'
      } > Makefile
      env -u SHELL -u MAKEFLAGS ${gnumake}/bin/make
      [ "$(cat out.txt)" = "$(printf 'GONIX\nGONIX')" ]
      env -u SHELL ${gnumake}/bin/make | tee again
      grep -q "'out.txt' is up to date" again
      cp out.txt $out
    '';
  };
in gnumake
