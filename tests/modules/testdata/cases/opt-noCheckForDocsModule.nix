let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    types.noCheckForDocsModule
    { _file = "m1.nix"; options.a = mkOption { type = types.int; default = 2; }; config.undeclared = 1; }
  ];
}).config.a
