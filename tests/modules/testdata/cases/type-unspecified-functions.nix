let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { }; }
    { _file = "m1.nix"; a = (x: [ x ]); }
    { _file = "m2.nix"; a = (x: [ (x + 1) ]); }
  ];
}).config.a 1
