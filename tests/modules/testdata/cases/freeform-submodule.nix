let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submodule { freeformType = types.attrsOf types.str; options.n = mkOption { type = types.int; default = 0; }; }; default = { }; }; }
    { s.extra = "e"; s.n = 2; }
  ];
}).config
