let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.anything; }; }
    { _file = "m1.nix"; a = (x: { a = x; }); }
    { _file = "m2.nix"; a = (x: { b = x; }); }
  ];
}).config.a 7
