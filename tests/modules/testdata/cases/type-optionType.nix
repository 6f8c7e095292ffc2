let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.optionType; }; }
    { _file = "m1.nix"; a = types.int; }
    { _file = "m2.nix"; a = types.int; }
  ];
}).config.a.description
