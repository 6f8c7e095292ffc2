let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule ./modules/sub.nix; default = { }; }; }
    { s.x = 10; }
  ];
}).config
