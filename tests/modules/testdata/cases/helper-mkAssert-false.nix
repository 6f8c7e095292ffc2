let lib = import <gonix/lib>; in
with lib;
(evalModules { modules = [ { options.a = mkOption { type = types.int; default = 0; }; } { a = mkAssert false "a must be set differently" 5; } ]; }).config.a
