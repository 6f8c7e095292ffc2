let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ config, options, ... }: { options.a = mkOption { default = 1; }; options.b = mkOption { default = config.a + 1; }; options.c = mkOption { default = options.a.default; }; })
  ];
}).config
