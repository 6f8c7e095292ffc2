let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule ({ custom, ... }: { options.a = mkOption { default = custom; }; config._module.args.custom = 8; }); default = { }; }; }
  ];
}).config
