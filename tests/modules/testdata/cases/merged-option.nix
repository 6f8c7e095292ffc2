let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.warnings = mkOption { type = types.listOf types.str; default = [ ]; }; options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; }; }
    { options.new = mkOption { type = types.str; default = "none"; }; }
    (mkMergedOptionModule [ [ "a" ] [ "b" ] ] [ "new" ] (config: "${toString config.a}-${toString config.b}"))
    { _file = "x.nix"; a = 1; b = 2; }
  ];
}).config
