let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.int; default = [ 0 ]; }; }
    { _file = "m1.nix"; a = mkOptionDefault [ 1 ]; }
  ];
}).config.a
