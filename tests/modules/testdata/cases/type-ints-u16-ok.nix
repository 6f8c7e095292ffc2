let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.u16; }; }
    { _file = "m1.nix"; a = 65535; }
  ];
}).config.a
