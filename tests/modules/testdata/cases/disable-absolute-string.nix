let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.x = mkOption { default = 1; }; }
    { imports = [ ./modules/foo.nix ]; disabledModules = [ (toString ./modules/foo.nix) ]; }
  ];
}).config
