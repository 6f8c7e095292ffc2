let lib = import <gonix/lib>; in
with lib;
let r = evalModules { modules = [ { options.a = mkOption { type = types.listOf types.int; }; } { a = [ 1 ]; } { a = [ 2 ]; } ]; };
in [ r.options.a.value r.config.a ]
