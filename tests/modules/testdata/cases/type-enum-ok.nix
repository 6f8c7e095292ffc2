let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.enum [ "a" "b" 3 true ]; }; }
    { _file = "m1.nix"; a = 3; }
  ];
}).config.a
