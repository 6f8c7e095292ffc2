let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "d.nix"; options.r = types.int; }
  ];
}).config
