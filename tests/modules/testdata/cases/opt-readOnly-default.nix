let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.r = mkOption { type = types.int; readOnly = true; default = 1; }; }
    { _file = "x.nix"; r = 2; }
  ];
}).config
