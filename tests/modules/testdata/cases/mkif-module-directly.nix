let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = 0; }; }
    (mkIf true { a = 5; })
  ];
}).config
