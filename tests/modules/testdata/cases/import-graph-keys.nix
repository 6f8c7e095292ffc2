let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { imports = [ { key = "inner"; } ]; }
    ./modules/foo.nix
  ];
}).config.foo
