let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { imports = [ (toString ./modules/foo.nix) ]; }
  ];
}).config
