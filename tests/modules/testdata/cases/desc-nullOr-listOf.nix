let lib = import <gonix/lib>; in
with lib;
(types.nullOr (types.listOf types.str)).description
