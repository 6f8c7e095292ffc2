let lib = import <gonix/lib>; in
with lib;
(evalModules { modules = [ { options.a = mkOption { type = types.int; default = 0; }; } { a = mkAssert true "never shown" 5; } ]; }).config.a
