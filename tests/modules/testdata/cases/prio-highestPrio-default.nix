let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.unspecified; default = 1; }; }

  ];
}).options.a.highestPrio
