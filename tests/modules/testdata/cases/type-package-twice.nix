let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.package; }; }
    { _file = "m1.nix"; a = derivation { name = "p"; system = "x"; builder = "/b"; }; }
    { _file = "m2.nix"; a = derivation { name = "q"; system = "x"; builder = "/b"; }; }
  ];
}).config.a.name
