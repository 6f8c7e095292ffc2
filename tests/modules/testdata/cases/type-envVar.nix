let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.envVar; }; }
    { _file = "m1.nix"; a = "/bin"; }
    { _file = "m2.nix"; a = "/usr/bin"; }
  ];
}).config.a
