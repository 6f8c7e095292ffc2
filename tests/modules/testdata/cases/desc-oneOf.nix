let lib = import <gonix/lib>; in
with lib;
(types.oneOf [ types.int types.bool (types.listOf types.str) ]).description
