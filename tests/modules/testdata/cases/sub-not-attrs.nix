let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { }; }; }
    { _file = "x.nix"; s = 5; }
  ];
}).config
