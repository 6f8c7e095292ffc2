let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.s32; }; }
    { _file = "m1.nix"; a = 2147483648; }
  ];
}).config.a
