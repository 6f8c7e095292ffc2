let lib = import <gonix/lib>; in
with lib;
(types.uniq (types.attrsOf types.int)).description
