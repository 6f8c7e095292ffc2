let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.str; }; }
    { _file = "x.nix"; a = mkForce "p"; }
    { _file = "y.nix"; a = mkForce "q"; }
  ];
}).config.a
