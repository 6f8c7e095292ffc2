let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.a = mkOption { type = types.listOf types.str; }; }
    { imports = [ { imports = [ { a = [ "deep" ]; } ]; a = [ "mid" ]; } ]; a = [ "top1" ]; }
    { imports = [ { a = [ "mid2" ]; } ]; a = [ "top2" ]; }
  ];
}).config.a
