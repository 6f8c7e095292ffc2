let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.lines; }; }
    { _file = "m1.nix"; a = [ "a" ]; }
  ];
}).config.a
