let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.l = mkOption { type = types.attrsOf (types.listOf types.int); }; }
    { _file = "x.nix"; l.k = [ "x" ]; }
  ];
}).config
