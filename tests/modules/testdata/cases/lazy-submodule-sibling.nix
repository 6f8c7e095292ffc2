let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.attrsOf (types.submodule { options.v = mkOption { type = types.int; }; }); }; }
    { s.a.v = 1; s.b.v = throw "b forced"; }
  ];
}).config.s.a.v
