let lib = import <gonix/lib>; in
with lib;
(types.coercedTo types.int toString types.str).description
