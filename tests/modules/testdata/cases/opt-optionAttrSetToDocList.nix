let lib = import <gonix/lib>; in
with lib;
let
  opts = (evalModules { modules = [ { options.a = mkOption { type = types.int; default = 1; description = "A"; }; options.b.c = mkOption { type = types.str; description = "C"; }; } ]; }).options;
in
map (o: { inherit (o) name type; }) (filter (o: o.visible && !o.internal) (optionAttrSetToDocList opts))
