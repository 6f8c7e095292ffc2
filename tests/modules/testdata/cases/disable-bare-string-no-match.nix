let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { key = "B"; options.b = mkOption { default = 1; }; }
    { disabledModules = [ "B" ]; }
  ];
}).config
