let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.int; }; }
    { _file = "m1.nix"; a = mkMerge [ (mkMerge [ [ 1 ] [ 2 ] ]) (mkMerge [ ]) [ 3 ] ]; }
  ];
}).config.a
