let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { default = 1; }; }
    { _file = "x.nix"; b = throw "never"; }
  ];
}).config.a
