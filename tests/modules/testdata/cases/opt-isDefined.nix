let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; options.b = mkOption { type = types.int; default = 1; }; }
  ];
}).options.a.isDefined
