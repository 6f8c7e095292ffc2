let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _module.check = false; options.a = mkOption { default = 1; }; }
    { b = 2; }
  ];
}).config
