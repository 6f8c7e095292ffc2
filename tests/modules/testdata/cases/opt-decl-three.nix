let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "d1.nix"; options.r = mkOption { default = 1; }; }
    { _file = "d2.nix"; options.r = mkOption { }; }
    { _file = "d3.nix"; options.r = mkOption { description = "x"; }; }
  ];
}).config
