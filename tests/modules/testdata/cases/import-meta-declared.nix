let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.meta = mkOption { type = types.attrsOf types.int; }; }
    { meta.x = 1; }
    { config.meta.y = 2; }
  ];
}).config
