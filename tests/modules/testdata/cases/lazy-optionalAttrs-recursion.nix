let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.x = mkOption { type = types.bool; default = true; }; options.y = mkOption { type = types.int; default = 0; }; }
    ({ config, ... }: { config = optionalAttrs config.x { y = 1; }; })
  ];
}).config
