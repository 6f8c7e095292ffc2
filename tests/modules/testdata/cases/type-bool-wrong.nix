let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.bool; }; }
    { _file = "m1.nix"; a = "yes"; }
  ];
}).config.a
