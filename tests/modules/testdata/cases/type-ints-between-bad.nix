let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.between 1 10; }; }
    { _file = "m1.nix"; a = 11; }
  ];
}).config.a
