let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; }
    { config = mkForce { a = 1; }; }
    { a = 2; }
  ];
}).config
