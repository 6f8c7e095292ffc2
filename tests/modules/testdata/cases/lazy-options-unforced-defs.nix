let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; default = 1; }; options.b = mkOption { type = types.int; }; }
    { b = throw "b is not needed"; }
  ];
}).options.a.isDefined
