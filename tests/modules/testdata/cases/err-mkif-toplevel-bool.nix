let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { default = 0; }; }
    { _file = "x.nix"; a = { b = mkIf true true; }; }
  ];
}).config
