let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = 0; }; }
    (mkForce { a = 5; })
    { a = 6; }
  ];
}).config
