let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.unspecified; }; }
    { _file = "m1.nix"; a = mkOverride 20 (mkOverride 30 2); }
  ];
}).options.a.highestPrio
