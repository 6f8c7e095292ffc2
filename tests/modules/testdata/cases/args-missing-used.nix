let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    ({ pkgs, ... }: { options.a = mkOption { default = 1; }; config.a = pkgs.x; })
  ];
}).config.a
