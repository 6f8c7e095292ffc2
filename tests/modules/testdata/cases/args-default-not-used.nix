let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ name ? "none", ... }: { options.a = mkOption { default = name; }; })
  ];
}).config.a
