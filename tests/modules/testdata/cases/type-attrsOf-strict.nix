let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.attrsOf types.int; }; }
    { _file = "m1.nix"; a = { x = mkIf (throw "forced") 1; y = 2; }; }
  ];
}).config.a.y
