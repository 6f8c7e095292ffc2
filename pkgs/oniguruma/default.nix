# Oniguruma (Debian source package libonig), the regex library of jq.
{ stdenv, fetchDebianSource, debian, autoreconfHook }:
stdenv.mkDerivation {
  pname = "oniguruma";
  version = debian.sourceVersion "libonig";
  src = fetchDebianSource "libonig" null;
  # Debian's orig tarball is the git tag: no ./configure.
  nativeBuildInputs = [ autoreconfHook ];
  enableParallelBuilding = true;
}
