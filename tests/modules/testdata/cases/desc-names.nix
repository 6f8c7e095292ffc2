let lib = import <gonix/lib>; in
with lib.types;
map (t: t.name) [ int str bool attrs anything raw unspecified (listOf int) (attrsOf int) (lazyAttrsOf int) (nullOr int) (either int str) (enum [ ]) (submodule { }) deferredModule package path lines ]
