let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = throw "unused default"; }; options.b = mkOption { default = 1; }; }
  ];
}).config.b
