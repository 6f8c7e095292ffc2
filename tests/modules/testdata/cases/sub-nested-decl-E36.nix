let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "a.nix"; options.s = mkOption { type = types.submodule { options.v = mkOption { default = 0; }; }; default = { }; }; }
    { _file = "b.nix"; options.s.w = mkOption { default = 2; }; }
  ];
}).config
