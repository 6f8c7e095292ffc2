let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { options.v = mkOption { type = types.int; }; }; default = { }; }; }
    { _file = "x.nix"; s.v = 1; }
    { _file = "y.nix"; s.v = 2; }
  ];
}).config
