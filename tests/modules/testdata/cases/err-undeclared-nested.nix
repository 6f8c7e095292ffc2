let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a.b = mkOption { default = 0; }; }
    { _file = "x.nix"; a.c.d = 1; }
  ];
}).config
