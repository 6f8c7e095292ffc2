let lib = import <gonix/lib>; in
with lib;
let
  cfg = (evalModules {
    modules = [
      { options.mods = mkOption { type = types.deferredModule; default = { }; }; }
      { _file = "m1.nix"; mods = { options.x = mkOption { type = types.int; default = 1; }; }; }
      { _file = "m2.nix"; mods = { x = mkForce 5; }; }
    ];
  }).config;
in
(evalModules { modules = [ cfg.mods ]; }).config
