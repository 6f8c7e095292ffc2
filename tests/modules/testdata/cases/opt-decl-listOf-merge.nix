let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.r = mkOption { type = types.listOf types.int; }; }
    { options.r = mkOption { type = types.listOf types.int; default = [ 1 ]; }; }
  ];
}).config
