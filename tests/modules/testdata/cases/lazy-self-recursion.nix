let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; }
    ({ config, ... }: { a = config.a + 1; })
  ];
}).config.a
