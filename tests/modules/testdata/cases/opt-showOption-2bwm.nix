let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options."2bwm" = mkOption { type = types.int; }; }
    { _file = "x.nix"; "2bwm" = true; }
  ];
}).config
