let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = 1; }; }
    ({ extendModules, ... }: { options.b = mkOption { default = (extendModules { modules = [ { a = 5; } ]; }).config.a; }; })
  ];
}).config
