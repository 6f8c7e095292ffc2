let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.int; }; }
    { _file = "m1.nix"; a = mkIf false [ 1 ]; }
  ];
}).config.a
