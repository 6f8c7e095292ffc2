let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { key = "k"; options.x = mkOption { default = 1; }; }
    { key = "k"; options.y = mkOption { default = 2; }; }
  ];
}).config
