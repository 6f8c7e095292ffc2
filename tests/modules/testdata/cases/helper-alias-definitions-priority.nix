let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.int; }; options.b = mkOption { type = types.int; }; }
    ({ options, ... }: { b = mkAliasDefinitions options.a; })
    { a = mkDefault 1; }
    { b = mkDefault 2; }
  ];
}).config
