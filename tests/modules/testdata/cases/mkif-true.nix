let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.int; default = 1; }; }
    { _file = "m1.nix"; a = mkIf true 2; }
  ];
}).config.a
