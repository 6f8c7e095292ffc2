let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ lib, ... }: { options.a = lib.mkOption { type = lib.types.int; }; })
    ({ config, ... }: { a = 3; })
  ];
}).config
