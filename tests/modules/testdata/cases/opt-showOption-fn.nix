let lib = import <gonix/lib>; in
[ (lib.showOption [ "a" "b.c" "*" "<name>" "d e" ]) (lib.showOption [ ]) (lib.showFiles [ "x.nix" "y.nix" ]) ]
