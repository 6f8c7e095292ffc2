let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "c.nix"; foo = mkOption { type = types.int; }; }
  ];
}).config
