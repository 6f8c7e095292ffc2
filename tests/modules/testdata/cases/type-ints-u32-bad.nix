let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.u32; }; }
    { _file = "m1.nix"; a = 4294967296; }
  ];
}).config.a
