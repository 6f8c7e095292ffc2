let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.coercedTo types.int toString types.str; }; }
    { _file = "m1.nix"; a = 5; }
  ];
}).config.a
