let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ ({ x, y, ... }: { options.a = mkOption { default = x + y; }; }) ]; specialArgs = { x = 1; y = 10; }; };
  ext = base.extendModules { specialArgs = { x = 2; }; };
in
[ base.config.a ext.config.a ]
