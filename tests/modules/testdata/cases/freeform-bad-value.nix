let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { freeformType = types.attrsOf types.str; options.port = mkOption { type = types.port; default = 80; }; }
    { _file = "x.nix"; host = 1; }
  ];
}).config
