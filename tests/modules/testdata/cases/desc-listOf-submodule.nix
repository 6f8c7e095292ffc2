let lib = import <gonix/lib>; in
with lib;
(types.listOf (types.submodule { })).description
