let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "d.nix"; disabledModules = [ { foo = 1; } ]; }
  ];
}).config
