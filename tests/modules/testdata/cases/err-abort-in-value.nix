let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; }
    { a = abort "custom abort"; }
  ];
}).config
