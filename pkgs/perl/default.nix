# Perl, built from source so that its shell is the store's bash (Debian's
# perl-base runs /bin/sh for `system` and piped opens, and the sandbox has
# no /bin/sh) and its @INC is in the store.
{ stdenv, fetchDebianSource, debian, stage0 }:
let
  libc = stage0.seedLibc;
  perl = stdenv.mkDerivation {
    pname = "perl";
    version = debian.sourceVersion "perl";
    src = fetchDebianSource "perl" "perl_5.36.0.orig.tar.xz";
    enableParallelBuilding = true;
    # Configure probes directories for headers and libraries itself; give
    # it the store's libc instead of /usr. config.over pins what it would
    # take from the build machine and the clock (uname, kernel version,
    # configuration time: they land in Config.pm, Config_heavy.pl, config.h
    # and perlbug), so two builds give the same bytes.
    configurePhase = ''
      runHook preConfigure
      cat > config.over <<'EOF'
      osvers="gnulinux"
      myuname="gonixpkgs"
      cf_time="Thu Jan  1 00:00:01 UTC 1970"
      EOF
      $SHELL ./Configure -de \
        -Dprefix=$out -Dinstallstyle=lib/perl5 -Uinstallusrbinperl \
        -Dsh=$SHELL -Dcc=cc -Duseshrplib \
        -Dlocincpth="${libc}/usr/include" \
        -Dloclibpth="${libc}/usr/lib/x86_64-linux-gnu ${libc}/lib/x86_64-linux-gnu" \
        -Dglibpth="${libc}/usr/lib/x86_64-linux-gnu ${libc}/lib/x86_64-linux-gnu" \
        -Dlibpth="${libc}/usr/lib/x86_64-linux-gnu ${libc}/lib/x86_64-linux-gnu" \
        -Dusrinc="${libc}/usr/include" \
        -Dman1dir=none -Dman3dir=none \
        -Dcf_by=gonixpkgs -Dcf_email=none -Dperladmin=none -Dmyhostname=localhost -Dmydomain=.localdomain
      runHook postConfigure
    '';

    passthru.tests.run = stdenv.runCommand "perl-test-run" { } ''
      [ "$(${perl}/bin/perl -e 'my @a = map { $_ * 2 } 1..3; print "@a"')" = "2 4 6" ]
      # a piped open with shell metacharacters needs perl's sh
      [ "$(${perl}/bin/perl -e 'open(my $f, "echo a b | tr a-z A-Z |") or die; print <$f>')" = "A B" ]
      ${perl}/bin/perl -MData::Dumper -MPOSIX -e 'print Dumper([floor(2.5)])' > $out
    '';
  };
in perl
