# lib.attrsets at scale: genAttrs, filterAttrs, mapAttrs', mapAttrsToList,
# recursiveUpdate, zipAttrsWith, foldAttrs, collect, attrByPath.
let
  lib = import <gonix/lib>;
  n = 20000;
  names = map (i: "k${toString i}") (lib.range 1 n);
  set = lib.genAttrs names (name: { inherit name; len = lib.stringLength name; });
  even = lib.filterAttrs (name: v: lib.mod v.len 2 == 0) set;
  renamed = lib.mapAttrs' (name: v: lib.nameValuePair "r-${name}" v.len) set;
  lens = lib.mapAttrsToList (name: v: v.len) set;
  nested = builtins.genList (i: { a.b."x${toString (lib.mod i 100)}" = i; c = { d = i; }; }) 2000;
  merged = builtins.foldl' lib.recursiveUpdate { } nested;
  zipped = lib.zipAttrsWith (name: vs: builtins.length vs) (builtins.genList (i: { "y${toString (lib.mod i 50)}" = i; z = i; }) 5000);
  folded = lib.foldAttrs (x: acc: x + acc) 0 (builtins.genList (i: { a = i; b = 1; }) 5000);
  leaves = lib.collect builtins.isInt merged;
  paths = builtins.genList (i: lib.attrByPath [ "a" "b" "x${toString (lib.mod i 100)}" ] 0 merged) 5000;
  result = [
    (builtins.length (builtins.attrNames even))
    renamed."r-k20000"
    (builtins.foldl' builtins.add 0 lens)
    merged.c.d
    zipped.z
    folded
    (builtins.length leaves)
    (builtins.foldl' builtins.add 0 paths)
  ];
in
assert result == [ 10910 6 108894 1999 5000 { a = 12497500; b = 5000; } 101 9747500 ];
result
