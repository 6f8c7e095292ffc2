let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ moduleType, ... }: { options.a = mkOption { default = moduleType.name; }; })
  ];
}).config
