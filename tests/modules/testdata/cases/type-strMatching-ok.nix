let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.strMatching "[a-z]+"; }; }
    { _file = "m1.nix"; a = "abc"; }
  ];
}).config.a
