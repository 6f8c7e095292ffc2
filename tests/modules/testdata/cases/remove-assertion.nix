let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.warnings = mkOption { type = types.listOf types.str; default = [ ]; }; options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; }; }
    (mkRemovedOptionModule [ "gone" ] "Use something else.")
    { _file = "x.nix"; gone = 1; }
  ];
}).config.assertions
