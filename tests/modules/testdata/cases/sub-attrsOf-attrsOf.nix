let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.attrsOf (types.attrsOf (types.submodule ({ name, ... }: { options.n = mkOption { default = name; }; }))); }; }
    { s.a.b = { }; s.c.d = { }; }
  ];
}).config
