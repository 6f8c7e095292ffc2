let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.functionTo (types.listOf types.int); }; }
    { _file = "m1.nix"; a = (x: [ x ]); }
    { _file = "m2.nix"; a = (x: [ (x * 2) ]); }
  ];
}).config.a 5
