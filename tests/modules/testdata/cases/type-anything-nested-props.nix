let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.anything; }; }
    { _file = "m1.nix"; a = { x = mkIf false 1; y = mkForce 2; }; }
    { _file = "m2.nix"; a = { y = 3; z.w = mkDefault 4; }; }
  ];
}).config.a
