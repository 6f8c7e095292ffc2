let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.l = mkOption { type = types.listOf (types.submodule { options.v = mkOption { type = types.int; }; }); }; }
    { _file = "x.nix"; l = [ { v = "s"; } ]; }
  ];
}).config
