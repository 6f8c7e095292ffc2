let lib = import <gonix/lib>; in
with lib;
(types.ints.between (-3) 3).description
