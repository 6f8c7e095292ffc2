let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submoduleWith { modules = [ { options.v = mkOption { default = 0; }; } ]; }; }; }
    { s = { imports = [ { v = 1; } ]; }; }
  ];
}).config
