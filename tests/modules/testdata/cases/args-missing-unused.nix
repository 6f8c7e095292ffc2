let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ pkgs, ... }: { options.a = mkOption { default = 1; }; options.b = mkOption { default = pkgs.x; }; })
  ];
}).config.a
