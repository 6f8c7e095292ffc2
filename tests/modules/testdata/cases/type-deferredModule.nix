let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.deferredModule; }; }
    { _file = "m1.nix"; a = { b = 1; }; }
    { _file = "m2.nix"; a = ({ ... }: { c = 2; }); }
  ];
}).config.a.imports or null == null
