let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.warnings = mkOption { type = types.listOf types.str; default = [ ]; }; options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; }; }
    { options.new = mkOption { type = types.int; default = 0; }; }
    (mkRenamedOptionModule [ "old" ] [ "new" ])
  ];
}).config.warnings
