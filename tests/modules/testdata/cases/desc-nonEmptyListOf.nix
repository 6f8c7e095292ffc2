let lib = import <gonix/lib>; in
with lib;
(types.nonEmptyListOf types.str).description
