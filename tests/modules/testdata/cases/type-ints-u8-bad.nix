let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.u8; }; }
    { _file = "m1.nix"; a = 256; }
  ];
}).config.a
