let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = 0; }; }
    { _file = "x.nix"; config = mkIf true true; }
  ];
}).config
