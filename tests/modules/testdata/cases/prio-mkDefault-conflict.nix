let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.str; }; }
    { _file = "m1.nix"; a = mkDefault "a"; }
    { _file = "m2.nix"; a = mkDefault "b"; }
  ];
}).config.a
