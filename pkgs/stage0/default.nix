# Stage 0: a C toolchain made of pinned Debian bookworm binaries
# (../../docs/design/bootstrap.md; spec: shared/spec/stdenv-bootstrap.md).
# The debs are unpacked by builtin:unpack-deb, merged into four seed trees
# and patched to load from the store; ccWrapper turns seed-gcc into a
# compiler that sees only store paths.
{ debian }:
let
  deb = debian.unpackDeb;
  debs = names: map deb names;

  # The unpatched trees the fixup script runs its tools from.
  toolDebs = debs [
    "libc6" "bash" "coreutils" "findutils" "sed" "patchelf" "libstdc++6" "libgcc-s1"
    "libacl1" "libattr1" "libselinux1" "libpcre2-8-0" "libgmp10" "libtinfo6"
  ];
  ldso = "${deb "libc6"}/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

  seed = { name, members, libc ? null, localeFrom ? null, extra ? { } }: derivation ({
    inherit name ldso;
    system = "x86_64-linux";
    # The builder is the seed loader running the seed bash: nothing is
    # runnable by itself before this derivation has run.
    builder = ldso;
    args = [
      "--library-path" "${deb "libc6"}/lib/x86_64-linux-gnu:${deb "libtinfo6"}/lib/x86_64-linux-gnu"
      "${deb "bash"}/bin/bash" ./fixup.sh
    ];
    debs = debs members;
    inherit toolDebs;
    localeFrom = if localeFrom == null then "" else deb localeFrom;
    libc = if libc == null then "" else libc;
    patchElf = if libc == null then "" else "1";
  } // extra);
in rec {
  # glibc is not patched: its loader is the interpreter of everything else.
  seedLibc = seed {
    name = "seed-libc";
    members = [ "libc6" "libc6-dev" "linux-libc-dev" "libcrypt1" "libcrypt-dev" ];
    localeFrom = "libc-bin";
  };
  seedGcc = seed {
    name = "seed-gcc";
    libc = seedLibc;
    members = [
      "gcc-12-base" "gcc-12" "cpp-12" "libgcc-12-dev" "libgcc-s1" "libstdc++6" "libcc1-0"
      "libgomp1" "libatomic1" "libquadmath0" "libisl23" "libmpc3" "libmpfr6" "libgmp10"
      "zlib1g" "libzstd1"
    ];
  };
  seedBinutils = seed {
    name = "seed-binutils";
    libc = seedLibc;
    members = [
      "binutils-common" "binutils" "binutils-x86-64-linux-gnu" "libbinutils" "libctf0"
      "libctf-nobfd0" "libgprofng0" "libjansson4" "zlib1g" "libzstd1" "libstdc++6" "libgcc-s1"
    ];
  };
  seedTools = seed {
    name = "seed-tools";
    libc = seedLibc;
    members = [
      "bash" "coreutils" "findutils" "diffutils" "sed" "grep" "gawk" "make" "tar" "gzip"
      "xz-utils" "liblzma5" "bzip2" "libbz2-1.0" "patch" "patchelf" "libacl1" "libattr1"
      "libselinux1" "libpcre2-8-0" "libtinfo6" "libreadline8" "libsigsegv2" "libmpfr6"
      "libgmp10" "libstdc++6" "libgcc-s1"
    ];
  };

  # mkSeed: merge and fix up more Debian packages (autotools uses it).
  mkSeed = seed;

  shell = "${seedTools}/bin/bash";

  # cc, gcc, cpp: seed-gcc behind flags that keep it inside the store.
  ccWrapper = derivation {
    name = "seed-cc-wrapper";
    system = "x86_64-linux";
    builder = shell;
    args = [ "-e" ./cc-wrapper-builder.sh ];
    wrapper = ./cc-wrapper.sh;
    PATH = "${seedTools}/bin:${seedTools}/usr/bin";
    inherit shell;
    gcc = seedGcc;
    libc = seedLibc;
    binutils = seedBinutils;
  };
}
