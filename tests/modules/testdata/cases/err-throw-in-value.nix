let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; }
    { a = throw "custom failure"; }
  ];
}).config
