let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ./modules/fn.nix
    { fn.value = 3; }
  ];
}).config
