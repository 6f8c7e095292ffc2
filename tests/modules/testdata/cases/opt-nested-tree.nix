let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a.b.c = mkOption { default = 1; }; options.a.d = mkOption { default = 2; }; }
    { a.b.c = 3; }
  ];
}).config
