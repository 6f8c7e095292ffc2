let lib = import <gonix/lib>; in
with lib;
(evalModules {
  specialArgs.modulesPath = "/mp";
  modules = [
    { imports = [ { key = "/mp/B.nix"; options.b = mkOption { default = 1; }; } ]; options.c = mkOption { default = 2; }; }
    { disabledModules = [ "B.nix" ]; }
  ];
}).config
