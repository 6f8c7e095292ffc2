let lib = import <gonix/lib>; in
with lib.types;
[ (int.check 1) (int.check "1") (str.check /p) (path.check "/p") (path.check "p") (bool.check null) (attrs.check { }) ((listOf int).check [ "x" ]) ((submodule { }).check (x: x)) (package.check { type = "derivation"; }) ]
