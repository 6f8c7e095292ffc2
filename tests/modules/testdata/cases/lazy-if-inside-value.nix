let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.x = mkOption { type = types.bool; default = true; }; options.y = mkOption { type = types.int; default = 0; }; }
    ({ config, ... }: { config.y = if config.x then 1 else 2; })
  ];
}).config
