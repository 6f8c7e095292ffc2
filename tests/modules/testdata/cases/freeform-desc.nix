let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { freeformType = types.attrsOf types.int; }; }; }
    { s = 5; }
  ];
}).config
