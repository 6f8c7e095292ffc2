let lib = import <gonix/lib>; in
with lib;
(types.submodule { freeformType = types.attrsOf types.str; }).description
