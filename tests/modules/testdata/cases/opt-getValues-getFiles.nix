let lib = import <gonix/lib>; in
with lib;
[ (getValues [ { file = "x"; value = 1; } ]) (getFiles [ { file = "x"; value = 1; } ]) ]
