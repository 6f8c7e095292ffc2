let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { freeformType = types.lazyAttrsOf types.int; }
    { a = 1; b = throw "not forced"; }
  ];
}).config.a
