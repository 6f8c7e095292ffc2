let lib = import <gonix/lib>; in
with lib;
(types.attrsOf (types.either types.int types.str)).description
