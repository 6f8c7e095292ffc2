let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.r = mkOption { type = types.int; default = 1; }; }
    { _file = "decl2.nix"; options.r = mkOption { type = types.int; default = 2; }; }
  ];
}).config
