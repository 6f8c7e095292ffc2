let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.int; }; }
    { _file = "m1.nix"; a = mkOrder 1200 [ 1 ]; }
    { _file = "m2.nix"; a = mkOrder 800 [ 2 ]; }
    { _file = "m3.nix"; a = [ 3 ]; }
    { _file = "m4.nix"; a = mkOrder 800 [ 4 ]; }
  ];
}).config.a
