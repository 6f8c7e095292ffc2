let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.unique { message = "Only one, please."; } types.int; }; }
    { _file = "m1.nix"; a = 1; }
    { _file = "m2.nix"; a = 2; }
  ];
}).config.a
