let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.u = mkOption { type = types.attrsOf (types.submodule { options.a = mkOption { default = 1; }; }); }; }
    { options.u = mkOption { type = types.attrsOf (types.submodule { options.b = mkOption { default = 2; }; }); }; }
    { u.x = { }; }
  ];
}).config
