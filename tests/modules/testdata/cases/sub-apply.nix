let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { options.v = mkOption { type = types.int; default = 1; }; }; default = { }; apply = c: c.v * 2; }; }
    { s.v = 21; }
  ];
}).config.s
