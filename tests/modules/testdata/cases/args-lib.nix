let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ lib, ... }: { options.a = lib.mkOption { default = lib.isFunction lib.mkIf; }; })
  ];
}).config
