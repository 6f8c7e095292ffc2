let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.lines; }; }
    { s = "x"; }
    { s = mkBefore "first"; }
    { s = "z"; }
  ];
}).config.s
