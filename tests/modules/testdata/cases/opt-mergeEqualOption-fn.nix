let lib = import <gonix/lib>; in
with lib;
mergeEqualOption [ "a" "b" ] [ { file = "x.nix"; value = 1; } { file = "y.nix"; value = 2; } ]
