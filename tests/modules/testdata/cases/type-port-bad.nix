let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.port; }; }
    { _file = "m1.nix"; a = 70000; }
  ];
}).config.a
