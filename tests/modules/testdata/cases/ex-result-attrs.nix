let lib = import <gonix/lib>; in
with lib;
let r = (evalModules {
  modules = [
    { options.a = mkOption { default = 1; }; }
  ];
}); in { hasConfig = r ? config; hasOptions = r ? options; type = r._type or null; ext = builtins.isFunction r.extendModules; }
