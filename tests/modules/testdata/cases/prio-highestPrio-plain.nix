let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.unspecified; default = 1; }; }
    { _file = "m1.nix"; a = 2; }
  ];
}).options.a.highestPrio
