let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.r = mkOption { type = types.int; }; r = 1; }
  ];
}).config
