let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.l = mkOption { type = types.listOf types.int; }; }
    { _file = "x.nix"; l = [ 1 ]; }
    { _file = "y.nix"; l = [ 2 "x" ]; }
  ];
}).config
