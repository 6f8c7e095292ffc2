let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.x = mkOption { type = types.bool; default = true; }; options.y = mkOption { type = types.int; default = 0; }; }
    { y = mkIf (throw "cond evaluated") 1; }
  ];
}).config.y
