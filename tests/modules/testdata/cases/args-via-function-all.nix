let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    (args: { options.keys = mkOption { default = builtins.attrNames args; }; })
  ];
}).config.keys
