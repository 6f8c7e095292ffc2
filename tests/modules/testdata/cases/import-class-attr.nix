let lib = import <gonix/lib>; in
with lib;
(evalModules { modules = [ { _class = "nixos"; options.a = mkOption { default = 1; }; } ]; }).config
