let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { imports = [ (types.int) ]; }
  ];
}).config
