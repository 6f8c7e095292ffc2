let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ name, ... }: { options.a = mkOption { default = name; }; })
  ];
}).config.a
