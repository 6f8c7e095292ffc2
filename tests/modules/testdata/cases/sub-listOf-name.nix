let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.l = mkOption { type = types.listOf (types.submodule ({ name, ... }: { options.n = mkOption { default = name; }; })); }; }
    { l = [ { } { } ]; }
    { l = [ { } ]; }
  ];
}).config
