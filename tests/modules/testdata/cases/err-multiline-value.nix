let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.int; }; }
    { _file = "m1.nix"; a = { x = 1; y = [ 1 2 ]; z = "s"; w = { q = 1; }; v = 5; u = 6; }; }
  ];
}).config.a
