let lib = import <gonix/lib>; in
with lib;
(evalModules {
  specialArgs.custom = 7;
  modules = [
    ({ custom, ... }: { options.y = mkOption { default = custom; }; })
  ];
}).config
