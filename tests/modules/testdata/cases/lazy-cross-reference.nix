let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; options.b = mkOption { type = types.int; }; }
    ({ config, ... }: { a = config.b + 1; b = 10; })
  ];
}).config
