let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "a.nix"; options.s = mkOption { type = types.attrsOf types.int; default = { }; }; }
    { _file = "b.nix"; options.s.w = mkOption { default = 2; }; }
  ];
}).config
