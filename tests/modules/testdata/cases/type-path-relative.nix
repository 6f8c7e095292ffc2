let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.path; }; }
    { _file = "m1.nix"; a = "etc/hosts"; }
  ];
}).config.a
