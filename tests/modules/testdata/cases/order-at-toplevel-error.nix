let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.int; }; }
    { config = mkBefore { a = [ 1 ]; }; }
  ];
}).config.a
