let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.functionTo types.int; }; }
    { _file = "m1.nix"; a = ({ x, y ? 1 }: x); }
    { _file = "m2.nix"; a = ({ x ? 0, z }: z); }
  ];
}).config.a.__functionArgs or (builtins.functionArgs (x: x))
