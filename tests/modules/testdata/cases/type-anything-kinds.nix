let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.anything; }; }
    { _file = "m1.nix"; a = { x = 1; }; }
    { _file = "m2.nix"; a = [ 2 ]; }
  ];
}).config.a
