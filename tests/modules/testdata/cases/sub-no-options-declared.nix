let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { config.v = 1; }; default = { }; }; }
  ];
}).config
