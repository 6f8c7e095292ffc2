let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { meta.x = 1; }
  ];
}).config
