let lib = import <gonix/lib>; in
with lib;
(evalModules {
  specialArgs.extra = { options.z = lib.mkOption { default = 1; }; };
  modules = [
    ({ extra, ... }: { imports = [ extra ]; })
  ];
}).config
