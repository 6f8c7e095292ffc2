let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.listOf types.int; }; }
    { _file = "x.nix"; a = [ 1 ]; }
    { _file = "y.nix"; a = [ 2 ]; }
  ];
}).options.a.files
