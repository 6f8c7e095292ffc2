let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { key = "/A"; disabledModules = [ "/B" ]; }
    { key = "/B"; options.b = mkOption { default = 1; }; }
    { key = "/C"; disabledModules = [ "/A" ]; options.c = mkOption { default = 3; }; }
  ];
}).config
