let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.int; }; }
    { config = mkMerge [ (mkIf false { a = [ 1 ]; }) (mkIf true { a = [ 2 ]; }) ]; }
  ];
}).config
