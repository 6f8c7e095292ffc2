let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { freeformType = types.attrsOf types.str; options.port = mkOption { type = types.port; default = 80; }; }
    { host = "h"; port = 8080; }
  ];
}).config
