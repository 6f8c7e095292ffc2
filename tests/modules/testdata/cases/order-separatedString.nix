let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.separatedString ","; }; }
    { _file = "m1.nix"; a = mkAfter "c"; }
    { _file = "m2.nix"; a = "b"; }
    { _file = "m3.nix"; a = mkBefore "a"; }
  ];
}).config.a
