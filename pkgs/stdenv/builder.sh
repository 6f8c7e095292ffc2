# The builder of every stdenv.mkDerivation: set up, then run the phases.
# shellcheck disable=SC1091
source "$stdenvSetup"
cd "${NIX_BUILD_TOP:-${TMPDIR:-/build}}"
genericBuild
