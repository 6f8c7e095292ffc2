let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { options.l = mkOption { type = types.listOf types.int; }; }; }; options.t = mkOption { type = types.attrsOf (types.listOf types.int); }; }
    { s.l = [ 1 ]; t.a = [ 1 ]; }
    { s.l = [ 2 ]; t.a = [ 2 ]; }
    { s.l = [ 3 ]; t.a = [ 3 ]; }
  ];
}).config
