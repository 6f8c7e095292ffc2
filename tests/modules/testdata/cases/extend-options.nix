let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ { options.a = mkOption { type = types.int; default = 0; }; } ]; };
  ext = base.extendModules { modules = [ { options.b = mkOption { type = types.int; default = 1; }; } ]; };
in
builtins.attrNames (removeAttrs ext.options [ "_module" ])
