let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.r = mkOption { type = types.coercedTo types.int toString types.str; }; }
    { _file = "decl2.nix"; options.r = mkOption { type = types.coercedTo types.int toString types.str; }; }
  ];
}).config
