let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.str; default = [ ]; }; }
    { _file = "m1.nix"; a = [ "x" ]; }
    { _file = "m2.nix"; a = mkBefore [ "y" ]; }
    { _file = "m3.nix"; a = mkAfter [ "z" ]; }
    { _file = "m4.nix"; a = [ "w" ]; }
  ];
}).config.a
