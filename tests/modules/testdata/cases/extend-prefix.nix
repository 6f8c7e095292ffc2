let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ { options.a = mkOption { type = types.int; }; } ]; };
  ext = base.extendModules { prefix = [ "top" ]; modules = [ { _file = "x.nix"; a = "s"; } ]; };
in
ext.config.a
