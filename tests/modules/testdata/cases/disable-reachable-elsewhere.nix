let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { key = "/A"; imports = [ { key = "/A1"; options.a1 = mkOption { default = 1; }; } ]; }
    { imports = [ { key = "/A1"; options.a1 = mkOption { default = 1; }; } ]; }
    { disabledModules = [ "/A" ]; }
  ];
}).config
