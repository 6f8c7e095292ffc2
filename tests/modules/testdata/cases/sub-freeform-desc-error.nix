let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.attrsOf (types.submodule { freeformType = types.attrsOf types.str; }); }; }
    { _file = "x.nix"; s.a.b = 1; }
  ];
}).config
