let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ { options.a = mkOption { type = types.int; default = 0; }; } ]; };
  e1 = base.extendModules { modules = [ { a = mkDefault 1; } ]; };
  e2 = e1.extendModules { modules = [ { a = 2; } ]; };
in
[ base.config.a e1.config.a e2.config.a ]
