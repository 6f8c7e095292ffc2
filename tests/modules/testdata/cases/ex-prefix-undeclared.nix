let lib = import <gonix/lib>; in
with lib;
(evalModules {
  prefix = [ "services" "foo" ];
  modules = [
    { options.a = mkOption { type = types.int; }; }
    { _file = "x.nix"; b = "s"; }
  ];
}).config
