let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.attrs; }; }
    { a = { x = 1; y = 1; }; }
    { a = { x = 2; }; }
  ];
}).config.a
