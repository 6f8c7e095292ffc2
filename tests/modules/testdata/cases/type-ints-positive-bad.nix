let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.positive; }; }
    { _file = "m1.nix"; a = 0; }
  ];
}).config.a
