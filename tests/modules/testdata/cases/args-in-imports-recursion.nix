let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ custom, ... }: { imports = custom; })
    { _module.args.custom = [ ]; }
  ];
}).config
