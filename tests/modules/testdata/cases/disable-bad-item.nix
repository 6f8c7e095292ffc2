let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "d.nix"; disabledModules = [ 5 ]; }
  ];
}).config
