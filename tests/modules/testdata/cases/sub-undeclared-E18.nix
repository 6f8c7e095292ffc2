let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.users = mkOption { type = types.attrsOf (types.submodule ({ name, ... }: { options.home = mkOption { type = types.str; default = "/home/${name}"; }; options.uid = mkOption { type = types.nullOr types.int; default = null; }; })); default = { }; }; }
    { _file = "x.nix"; users.alice.shell = "x"; }
  ];
}).config
