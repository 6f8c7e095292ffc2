let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { config._module.freeformType = types.attrsOf types.int; }
    { a = 1; b = 2; }
  ];
}).config
