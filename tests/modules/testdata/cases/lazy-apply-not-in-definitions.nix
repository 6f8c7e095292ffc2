let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; apply = x: x * 100; }; }
    { a = 2; }
  ];
}).options.a.definitions
