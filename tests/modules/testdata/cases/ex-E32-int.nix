let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; }
    { a = mkIf false 1; }
  ];
}).config.a
