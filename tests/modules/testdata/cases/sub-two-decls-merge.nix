let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { options.a = mkOption { default = 1; }; }; }; }
    { options.s = mkOption { type = types.submodule { options.b = mkOption { default = 2; }; }; default = { }; }; }
  ];
}).config
