let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.lines; }; }
    { _file = "m1.nix"; a = "x"; }
    { _file = "m2.nix"; a = mkBefore "first"; }
    { _file = "m3.nix"; a = "z"; }
  ];
}).config.a
