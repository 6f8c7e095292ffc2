let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "x.nix"; imports = [ 5 ]; }
  ];
}).config
