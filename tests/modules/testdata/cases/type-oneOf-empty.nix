let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.oneOf [ ]; }; }
    { _file = "m1.nix"; a = 1; }
  ];
}).config.a
