let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { freeformType = types.anything; }
    { a.b = 1; }
    { a.c = [ 2 ]; }
  ];
}).config
