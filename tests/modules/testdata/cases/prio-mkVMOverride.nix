let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.int; }; }
    { _file = "m1.nix"; a = mkVMOverride 1; }
    { _file = "m2.nix"; a = mkForce 2; }
  ];
}).config.a
