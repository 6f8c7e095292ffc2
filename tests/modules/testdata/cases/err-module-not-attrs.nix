let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { imports = [ ({ ... }: 5) ]; }
  ];
}).config
