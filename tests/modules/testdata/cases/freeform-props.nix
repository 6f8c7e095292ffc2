let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { freeformType = types.attrsOf types.int; }
    { a = mkDefault 1; b = mkIf false 2; }
    { a = 3; }
  ];
}).config
