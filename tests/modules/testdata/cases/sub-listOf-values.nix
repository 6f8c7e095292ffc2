let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.l = mkOption { type = types.listOf (types.submodule { options.x = mkOption { type = types.int; default = 0; }; }); }; }
    { l = [ { x = 1; } ]; }
    { l = [ { } (mkIf false { x = 3; }) ]; }
  ];
}).config
