let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.c = mkOption { type = types.coercedTo types.str (x: [ x ]) (types.listOf types.str); }; }
    { _file = "x.nix"; c = 1; }
  ];
}).config
