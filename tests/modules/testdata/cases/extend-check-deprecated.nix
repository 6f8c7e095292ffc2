let lib = import <gonix/lib>; in
with lib;
(evalModules { check = false; modules = [ { options.a = mkOption { default = 1; }; } { b = 2; } ]; }).config
