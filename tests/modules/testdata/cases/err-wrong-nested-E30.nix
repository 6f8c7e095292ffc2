let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a.b = mkOption { default = 0; }; }
    { a = mkIf false { c = 5; }; }
  ];
}).config
