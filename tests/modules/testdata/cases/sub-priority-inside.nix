let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { options.v = mkOption { type = types.int; default = 0; }; }; default = { }; }; }
    { s.v = mkForce 1; }
    { s.v = 2; }
  ];
}).config
