let lib = import <gonix/lib>; in
with lib;
(types.lazyAttrsOf types.bool).description
