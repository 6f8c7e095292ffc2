let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.addCheck types.int (x: x > 5); }; }
    { _file = "m1.nix"; a = 3; }
  ];
}).config.a
