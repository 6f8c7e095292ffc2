let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule ({ name, ... }: { options.n = mkOption { default = name; }; }); default = { }; }; }
  ];
}).config
