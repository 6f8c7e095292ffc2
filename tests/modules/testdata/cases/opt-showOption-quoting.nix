let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a."b.c".d = mkOption { type = types.int; }; }
    { _file = "x.nix"; a."b.c".d = "s"; }
  ];
}).config
