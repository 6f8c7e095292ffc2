let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.nullOr types.int; }; }
    { _file = "m1.nix"; a = null; }
    { _file = "m2.nix"; a = 4; }
  ];
}).config.a
