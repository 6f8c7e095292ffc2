let lib = import <gonix/lib>; in
with lib;
[ (types.submoduleWith { modules = [ ]; }).description (types.submodule { }).name (types.attrsOf (types.submodule { })).description ]
