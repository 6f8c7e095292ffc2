let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.s8; }; }
    { _file = "m1.nix"; a = (-129); }
  ];
}).config.a
