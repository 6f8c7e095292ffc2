let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.warnings = mkOption { type = types.listOf types.str; default = [ ]; }; options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; }; }
    { options.a.b = mkOption { type = types.listOf types.int; default = [ ]; }; }
    (mkRenamedOptionModule [ "x" "y" ] [ "a" "b" ])
    { x.y = [ 1 ]; }
    { a.b = [ 2 ]; }
  ];
}).config.a.b
