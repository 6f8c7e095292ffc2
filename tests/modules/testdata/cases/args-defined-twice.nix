let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ custom, ... }: { options.y = mkOption { default = custom; }; })
    { _module.args.custom = 1; }
    { _module.args.custom = 2; }
  ];
}).config
