let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.int; }; }
    { a = [ 1 ]; }
    { a = [ 2 ]; }
    { imports = [ { a = [ 3 ]; } ]; a = [ 4 ]; }
  ];
}).config.a
