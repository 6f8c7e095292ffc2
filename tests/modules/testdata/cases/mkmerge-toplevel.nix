let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.int; }; options.b = mkOption { type = types.int; default = 0; }; }
    { config = mkMerge [ { a = [ 1 ]; } { a = [ 2 ]; b = 3; } ]; }
  ];
}).config
