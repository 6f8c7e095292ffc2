let lib = import <gonix/lib>; in
with lib;
(evalModules { modules = [ { options.a = mkOption { default = 1; }; } { _class = "nixos"; } ]; }).config
