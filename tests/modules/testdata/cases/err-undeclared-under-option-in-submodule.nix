let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.attrsOf (types.submodule { options.x.y = mkOption { default = 1; }; }); }; }
    { _file = "x.nix"; s.n.x.z = 2; }
  ];
}).config.s
