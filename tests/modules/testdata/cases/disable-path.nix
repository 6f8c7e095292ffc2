let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ./modules/bar.nix
    { disabledModules = [ ./modules/foo.nix ]; options.foo = mkOption { type = types.listOf types.str; }; }
  ];
}).config
