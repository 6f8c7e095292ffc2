let lib = import <gonix/lib>; in
with lib;
let
  cfg = (evalModules {
    modules = [
      { options.mods = mkOption { type = types.deferredModule; }; }
      { _file = "m1.nix"; mods = { y = 1; }; }
    ];
  }).config;
in
(evalModules { modules = [ cfg.mods ]; }).config
