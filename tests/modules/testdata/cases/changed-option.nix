let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.warnings = mkOption { type = types.listOf types.str; default = [ ]; }; options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; }; }
    { options.new = mkOption { type = types.str; }; }
    (mkChangedOptionModule [ "old" ] [ "new" ] (config: toString (config.old * 2)))
    { _file = "x.nix"; old = 21; }
  ];
}).config
