let lib = import <gonix/lib>; in
with lib;
mergeOneOption [ "a" ] [ { file = "x.nix"; value = 1; } ]
