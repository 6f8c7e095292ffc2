let lib = import <gonix/lib>; in
with lib;
let
  base = evalModules { modules = [ ({ x, ... }: { options.a = mkOption { default = x; }; }) ]; specialArgs = { x = 1; y = 1; }; };
  ext = base.extendModules { specialArgs = { x = 2; }; };
in
[ base.config.a ext.config.a ext._module.specialArgs.y ]
