let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.int; }; options.b = mkOption { type = types.listOf types.int; default = [ 9 ]; }; }
    ({ options, ... }: { b = mkAliasDefinitions options.a; })
  ];
}).config.b
