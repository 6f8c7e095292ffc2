let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.int; }; }
    { _file = "m1.nix"; a = mkOverride 20 (mkOverride 30 2); }
    { _file = "m2.nix"; a = mkOverride 25 3; }
  ];
}).config.a
