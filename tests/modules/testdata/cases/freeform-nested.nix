let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { freeformType = types.attrsOf (types.attrsOf types.int); options.x.y = mkOption { default = 0; }; }
    { x.z = 1; w.v = 2; }
  ];
}).config
