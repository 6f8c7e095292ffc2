let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.attrsOf (types.listOf types.int); }; }
    { _file = "m1.nix"; a = { x = [ 1 ]; }; }
    { _file = "m2.nix"; a = { x = [ 2 ]; }; }
    { _file = "m3.nix"; a = { x = [ 3 ]; }; }
  ];
}).config.a
