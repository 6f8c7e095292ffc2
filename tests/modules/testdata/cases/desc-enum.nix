let lib = import <gonix/lib>; in
with lib;
(types.enum [ "a" 1 true null ]).description
