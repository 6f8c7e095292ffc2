let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.ints.s16; }; }
    { _file = "m1.nix"; a = (-32768); }
  ];
}).config.a
