let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.coercedTo types.str (x: [ x ]) (types.listOf types.str); }; }
    { _file = "m1.nix"; a = "a"; }
    { _file = "m2.nix"; a = [ "b" ]; }
  ];
}).config.a
