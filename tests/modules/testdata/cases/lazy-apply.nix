let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = 1; apply = x: x * 100; }; }
    { a = 2; }
  ];
}).config
