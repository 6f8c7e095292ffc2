let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { key = "K"; options.b = mkOption { default = 1; }; }
    { options.c = mkOption { default = 2; }; }
    { disabledModules = [ { key = "K"; } ]; }
  ];
}).config
