let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.oneOf [ types.bool types.int types.str ]; }; }
    { _file = "m1.nix"; a = "x"; }
  ];
}).config.a
