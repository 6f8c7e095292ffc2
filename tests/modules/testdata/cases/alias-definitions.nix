let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.int; default = [ ]; }; options.b = mkOption { type = types.listOf types.int; default = [ ]; }; }
    ({ options, ... }: { b = mkAliasDefinitions options.a; })
    { a = [ 1 ]; }
    { a = [ 2 ]; }
  ];
}).config.b
