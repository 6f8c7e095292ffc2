let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { }; default = { }; }; }
    { _file = "x.nix"; s.v = 1; }
  ];
}).config
