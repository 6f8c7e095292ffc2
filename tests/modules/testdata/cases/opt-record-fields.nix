let lib = import <gonix/lib>; in
with lib;
let r = (evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.int; default = 1; description = "d"; example = 3; }; }
    { _file = "x.nix"; a = mkDefault 2; }
  ];
}).options.a; in { inherit (r) isDefined highestPrio files definitions declarations description example default; type = r.type.description; loc = r.loc; str = "${r}"; }
