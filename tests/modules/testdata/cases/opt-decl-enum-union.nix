let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.r = mkOption { type = types.enum [ "a" "b" ]; }; }
    { _file = "decl2.nix"; options.r = mkOption { type = types.enum [ "c" ]; }; }
    { r = "c"; }
  ];
}).config
