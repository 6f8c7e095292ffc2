let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.attrsOf types.int; default = { d = 0; }; }; }
    { _file = "m1.nix"; a = mkOptionDefault { y = 2; }; }
  ];
}).config.a
