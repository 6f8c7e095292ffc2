let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ./modules/foo.nix
    ./modules/bar.nix
    ./modules/foo.nix
  ];
}).config
