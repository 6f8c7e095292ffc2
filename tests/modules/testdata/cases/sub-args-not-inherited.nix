let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule ({ custom, ... }: { options.a = mkOption { default = custom; }; }); default = { }; }; }
    { _module.args.custom = 1; }
  ];
}).config
