let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a.b.c = mkOption { type = types.int; default = 0; }; }
    { a = mkIf true { b = mkIf true { c = 3; }; }; }
  ];
}).config
