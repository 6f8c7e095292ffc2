let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ { options.a = mkOption { type = types.int; default = 0; }; } ]; };
in
(base.extendModules { modules = [ { _file = "x.nix"; b = 1; } ]; }).config.a
