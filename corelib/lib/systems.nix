# gonix lib: platform descriptions (lib.systems), minimal: the common Linux
# and Darwin doubles, `elaborate` with the fields and is* predicates NixOS
# modules read. Not nixpkgs' full cross-compilation table.
{ lib }:
let
  inherit (builtins) elemAt match isString mapAttrs;

  littleEndian = { _type = "significant-byte"; name = "littleEndian"; };
  bigEndian = { _type = "significant-byte"; name = "bigEndian"; };
  cpu = name: attrs: { _type = "cpu-type"; inherit name; } // attrs;
  cpuTypes = {
    x86_64 = cpu "x86_64" { bits = 64; significantByte = littleEndian; family = "x86"; arch = "x86-64"; };
    i686 = cpu "i686" { bits = 32; significantByte = littleEndian; family = "x86"; arch = "i686"; };
    aarch64 = cpu "aarch64" { bits = 64; significantByte = littleEndian; family = "arm"; version = "8"; arch = "armv8-a"; };
    armv7l = cpu "armv7l" { bits = 32; significantByte = littleEndian; family = "arm"; version = "7"; arch = "armv7-a"; };
    riscv64 = cpu "riscv64" { bits = 64; significantByte = littleEndian; family = "riscv"; };
    powerpc64le = cpu "powerpc64le" { bits = 64; significantByte = littleEndian; family = "power"; };
    powerpc64 = cpu "powerpc64" { bits = 64; significantByte = bigEndian; family = "power"; };
  };
  kernels = {
    linux = { _type = "kernel"; name = "linux"; execFormat = { _type = "exec-format"; name = "elf"; }; families = { }; };
    darwin = { _type = "kernel"; name = "darwin"; execFormat = { _type = "exec-format"; name = "macho"; }; families = { darwin = { _type = "exec-format"; name = "darwin"; }; }; };
  };

  # "cpu-kernel" or "cpu-vendor-kernel-abi" → parsed system.
  mkSystemFromString = s:
    let
      m2 = match "([^-]+)-([^-]+)" s;
      m4 = match "([^-]+)-([^-]+)-([^-]+)-([^-]+)" s;
      m3 = match "([^-]+)-([^-]+)-([^-]+)" s;
      cpuName = elemAt (if m2 != null then m2 else if m4 != null then m4 else m3) 0;
      kernelName =
        if m2 != null then elemAt m2 1
        else if m4 != null then elemAt m4 2
        else let k = elemAt m3 2; in if lib.strings.hasPrefix "darwin" k then "darwin" else elemAt m3 1;
      kernel = kernels.${kernelName} or (throw "Unknown kernel: ${kernelName}");
      vendor = if kernelName == "darwin" then "apple" else "unknown";
      abi =
        if m4 != null then elemAt m4 3
        else if kernelName == "darwin" then "unknown"
        else if cpuName == "armv7l" then "gnueabihf"
        else "gnu";
    in
    if m2 == null && m3 == null && m4 == null then throw "Unknown system: ${s}"
    else {
      _type = "system";
      cpu = cpuTypes.${cpuName} or (throw "Unknown CPU type: ${cpuName}");
      inherit kernel;
      vendor = { _type = "vendor"; name = vendor; };
      abi = { _type = "abi"; name = abi; };
    };

  doubleFromSystem = p: "${p.cpu.name}-${p.kernel.name}";
  tripleFromSystem = p:
    "${p.cpu.name}-${p.vendor.name}-${p.kernel.name}${if p.abi.name == "unknown" then "" else "-${p.abi.name}"}";

  predicates = {
    isi686 = p: p.cpu.name == "i686";
    isx86_32 = p: p.cpu.family == "x86" && p.cpu.bits == 32;
    isx86_64 = p: p.cpu.family == "x86" && p.cpu.bits == 64;
    isx86 = p: p.cpu.family == "x86";
    isAarch32 = p: p.cpu.family == "arm" && p.cpu.bits == 32;
    isAarch64 = p: p.cpu.family == "arm" && p.cpu.bits == 64;
    isRiscV = p: p.cpu.family == "riscv";
    isPower = p: p.cpu.family == "power";
    isPower64 = p: p.cpu.family == "power" && p.cpu.bits == 64;
    is64bit = p: p.cpu.bits == 64;
    is32bit = p: p.cpu.bits == 32;
    isLittleEndian = p: p.cpu.significantByte.name == "littleEndian";
    isBigEndian = p: p.cpu.significantByte.name == "bigEndian";
    isLinux = p: p.kernel.name == "linux";
    isDarwin = p: p.kernel.name == "darwin";
    isMacOS = p: p.kernel.name == "darwin";
    isUnix = p: true;
    isBSD = p: false;
    isWindows = p: false;
    isMinGW = p: false;
    isWasm = p: false;
    isWasi = p: false;
    isRedox = p: false;
    isNone = p: false;
    isAndroid = p: false;
    isMusl = p: builtins.elem p.abi.name [ "musl" "musleabi" "musleabihf" "muslabin32" "muslabi64" ];
    isUClibc = p: false;
    isGnu = p: builtins.elem p.abi.name [ "gnu" "gnueabi" "gnueabihf" "gnuabin32" "gnuabi64" "gnuabielfv1" "gnuabielfv2" ];
    isEfi = p: builtins.elem p.cpu.family [ "x86" "arm" "riscv" ] && (p.cpu.family != "arm" || p.cpu.bits == 64 || p.cpu.name == "armv7l");
  };

  linuxKernels = {
    x86_64 = { name = "pc"; autoModules = true; baseConfig = "defconfig"; target = "bzImage"; };
    i686 = { name = "pc"; autoModules = true; baseConfig = "defconfig"; target = "bzImage"; };
    aarch64 = { name = "aarch64-multiplatform"; autoModules = true; baseConfig = "defconfig"; DTB = true; preferBuiltin = true; target = "Image"; };
  };
in
rec {
  parse = { inherit mkSystemFromString doubleFromSystem tripleFromSystem; };
  inspect = { inherit predicates; };

  # The "cpu-kernel" doubles nixpkgs 22.05 knows, in its order; the named
  # subsets filter them by kernel or cpu as nixpkgs' do.
  doubles =
    let
      kernelOf = d: lib.lists.last (lib.strings.splitString "-" d);
      cpuOf = d: builtins.head (lib.strings.splitString "-" d);
      byKernel = ks: builtins.filter (d: builtins.elem (kernelOf d) ks) all;
      byCpu = pred: builtins.filter (d: pred (cpuOf d)) all;
      all = [
        "i686-cygwin" "x86_64-cygwin" "x86_64-darwin" "i686-darwin" "aarch64-darwin" "armv7a-darwin"
        "i686-freebsd" "x86_64-freebsd" "aarch64-genode" "i686-genode" "x86_64-genode" "x86_64-solaris"
        "js-ghcjs" "aarch64-linux" "armv5tel-linux" "armv6l-linux" "armv7a-linux" "armv7l-linux"
        "i686-linux" "m68k-linux" "mipsel-linux" "mips64el-linux" "powerpc64-linux" "powerpc64le-linux"
        "riscv32-linux" "riscv64-linux" "s390-linux" "s390x-linux" "x86_64-linux" "mmix-mmixware"
        "aarch64-netbsd" "armv6l-netbsd" "armv7a-netbsd" "armv7l-netbsd" "i686-netbsd" "m68k-netbsd"
        "mipsel-netbsd" "powerpc-netbsd" "riscv32-netbsd" "riscv64-netbsd" "x86_64-netbsd"
        "aarch64_be-none" "aarch64-none" "arm-none" "armv6l-none" "avr-none" "i686-none" "msp430-none"
        "or1k-none" "m68k-none" "powerpc-none" "powerpcle-none" "riscv32-none" "riscv64-none" "rx-none"
        "s390-none" "s390x-none" "vc4-none" "x86_64-none" "i686-openbsd" "x86_64-openbsd" "x86_64-redox"
        "wasm64-wasi" "wasm32-wasi" "x86_64-windows" "i686-windows"
      ];
    in
    {
      inherit all;
      linux = byKernel [ "linux" ];
      darwin = byKernel [ "darwin" ];
      freebsd = byKernel [ "freebsd" ];
      netbsd = byKernel [ "netbsd" ];
      openbsd = byKernel [ "openbsd" ];
      cygwin = byKernel [ "cygwin" ];
      windows = byKernel [ "cygwin" "windows" ];
      embedded = byKernel [ "none" ];
      unix = byKernel [ "cygwin" "darwin" "freebsd" "solaris" "linux" "netbsd" "openbsd" "redox" ];
      x86_64 = byCpu (c: c == "x86_64");
      i686 = byCpu (c: c == "i686");
      x86 = byCpu (c: c == "x86_64" || c == "i686");
      aarch64 = byCpu (c: c == "aarch64" || c == "aarch64_be");
      arm = byCpu (c: c == "arm" || lib.strings.hasPrefix "armv" c);
      riscv = byCpu (lib.strings.hasPrefix "riscv");
      none = [ ];
    };


  supported = rec {
    tier1 = [ "x86_64-linux" ];
    tier2 = [ "aarch64-linux" "x86_64-darwin" ];
    tier3 = [ "armv6l-linux" "armv7l-linux" "i686-linux" "mipsel-linux" ];
    hydra = tier1 ++ tier2 ++ tier3 ++ [ "aarch64-darwin" ];
  };

  elaborate = args':
    let
      args = if isString args' then { system = args'; } else args';
      final = {
        parsed = mkSystemFromString (args.config or args.system);
        system = doubleFromSystem final.parsed;
        config = tripleFromSystem final.parsed;
        isCompatible = platform: final.parsed.cpu == platform.parsed.cpu;
        libc =
          if final.isDarwin then "libSystem"
          else if final.isMusl then "musl"
          else if final.isLinux then "glibc"
          else "native/impure";
        linker = if final.useLLVM or false then "lld" else if final.isDarwin then "cctools" else "bfd";
        extensions = {
          sharedLibrary = if final.isDarwin then ".dylib" else ".so";
          executable = "";
        };
        useAndroidPrebuilt = false;
        useiOSPrebuilt = false;
        uname = {
          system = { linux = "Linux"; darwin = "Darwin"; }.${final.parsed.kernel.name} or null;
          processor = final.parsed.cpu.name;
          release = null;
        };
        isStatic = false;
        linux-kernel = args.linux-kernel or linuxKernels.${final.parsed.cpu.name} or { };
        gcc = args.gcc or { };
        rustc = args.rust or { };
        linuxArch =
          if final.isAarch32 then "arm"
          else if final.isAarch64 then "arm64"
          else if final.isx86_32 then "i386"
          else if final.isx86_64 then "x86_64"
          else if final.isPower then "powerpc"
          else if final.isRiscV then "riscv"
          else final.parsed.cpu.name;
        qemuArch =
          if final.isAarch32 then "arm"
          else if final.isx86_64 then "x86_64"
          else if final.isx86 then "i386"
          else { powerpc64 = "ppc64"; powerpc64le = "ppc64le"; }.${final.parsed.cpu.name} or final.parsed.cpu.name;
        darwinArch = { armv7a = "armv7"; aarch64 = "arm64"; }.${final.parsed.cpu.name} or final.parsed.cpu.name;
      } // mapAttrs (n: v: v final.parsed) predicates // args;
    in
    final;
}
