let lib = import <gonix/lib>; in
with lib;
(evalModules {
  args.custom = 5;
  modules = [
    ({ custom, ... }: { options.y = mkOption { default = custom; }; })
  ];
}).config
