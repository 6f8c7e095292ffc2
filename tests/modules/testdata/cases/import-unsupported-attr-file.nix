let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "f.nix"; config = { }; foo = 1; bar = 2; }
  ];
}).config
