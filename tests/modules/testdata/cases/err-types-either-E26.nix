let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.e = mkOption { type = types.either types.int types.str; }; }
    { _file = "x.nix"; e = 1; }
    { _file = "y.nix"; e = "s"; }
  ];
}).config
