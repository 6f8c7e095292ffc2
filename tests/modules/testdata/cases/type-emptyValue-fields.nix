let lib = import <gonix/lib>; in
with lib.types;
map (t: t.emptyValue or "none") [ int (listOf int) (attrsOf int) (lazyAttrsOf int) (nullOr int) attrs str (submodule { }) ]
