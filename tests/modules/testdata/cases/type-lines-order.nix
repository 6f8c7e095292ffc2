let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.lines; }; }
    { _file = "m1.nix"; a = mkAfter "last"; }
    { _file = "m2.nix"; a = "one"; }
    { _file = "m3.nix"; a = mkBefore "first"; }
    { _file = "m4.nix"; a = "two"; }
  ];
}).config.a
