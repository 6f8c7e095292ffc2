let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.str; }; }
    { _file = "m1.nix"; a = mkMerge [ [ "a" ] (mkIf true [ "b" ]) (mkIf false [ "c" ]) ]; }
  ];
}).config.a
