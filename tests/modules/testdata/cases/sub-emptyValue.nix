let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { options.v = mkOption { default = 4; }; }; }; }
    { s = mkIf false { v = 1; }; }
  ];
}).config
