let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule ({ config, ... }: { options.a = mkOption { default = 1; }; options.b = mkOption { default = config.a * 10; }; }); default = { }; }; }
    { s.a = 5; }
  ];
}).config
