let lib = import <gonix/lib>; in
with lib;
(types.either types.ints.unsigned types.str).description
