let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.int; }; }
    { _file = "m1.nix"; a = mkImageMediaOverride 1; }
    { _file = "m2.nix"; a = 2; }
    { _file = "m3.nix"; a = mkDefault 3; }
  ];
}).config.a
