let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.either types.str (types.submodule { options.v = mkOption { default = 1; }; }); }; }
    { s = { v = 2; }; }
  ];
}).config
