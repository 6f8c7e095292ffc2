let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.nullOr (types.submodule { options.v = mkOption { default = 1; }; }); default = null; }; }
    { s = { }; }
  ];
}).config
