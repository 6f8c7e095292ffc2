let lib = import <gonix/lib>; in
with lib;
(types.functionTo types.str).description
