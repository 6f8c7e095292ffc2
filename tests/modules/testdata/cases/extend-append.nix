let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ { options.a = mkOption { type = types.listOf types.int; default = [ ]; }; } { a = [ 1 ]; } ]; };
  ext = base.extendModules { modules = [ { a = [ 2 ]; } ]; };
in
{ base = base.config.a; ext = ext.config.a; }
