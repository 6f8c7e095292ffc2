let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.unspecified; }; }
    { _file = "m1.nix"; a = mkDefault 2; }
  ];
}).options.a.highestPrio
