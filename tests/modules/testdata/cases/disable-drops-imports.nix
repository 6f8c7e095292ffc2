let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { key = "/A"; imports = [ { key = "/A1"; options.a1 = mkOption { default = 1; }; } ]; options.a = mkOption { default = 0; }; }
    { options.c = mkOption { default = 2; }; }
    { disabledModules = [ "/A" ]; }
  ];
}).config
