let lib = import <gonix/lib>; in
with lib;
let
  cfg = (evalModules {
    modules = [
      {
        options.mods = mkOption {
          type = types.deferredModuleWith { staticModules = [ { options.x = mkOption { type = types.int; default = 1; }; } ]; };
          default = { };
        };
      }
      { mods = { x = 4; }; }
      { mods = { options.y = mkOption { type = types.int; default = 2; }; }; }
    ];
  }).config;
in
(evalModules { modules = [ cfg.mods ]; }).config
