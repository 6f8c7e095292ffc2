let lib = import <gonix/lib>; in
with lib;
let
  inner = evalModules { modules = [ { options.v = mkOption { type = types.int; default = 1; }; } ]; };
in
(evalModules {
  modules = [
    { options.s = mkOption { type = inner.type; default = { }; }; }
    { s.v = 3; }
  ];
}).config
