# lib.lists at scale: foldr/foldl, imap1, flatten, unique, sublist, take,
# drop, partition, groupBy, naturalSort, count, findFirst, zipListsWith.
let
  lib = import <gonix/lib>;
  xs = lib.range 1 20000;
  sumR = lib.foldr (x: acc: x + acc) 0 xs;
  sumL = lib.foldl (acc: x: acc + x) 0 (lib.range 1 5000);
  indexed = lib.imap1 (i: x: i * x) xs;
  flat = lib.flatten (map (x: [ x [ x [ x ] ] ]) (lib.range 1 5000));
  uniq = lib.unique (map (x: "s${toString (lib.mod x 500)}") (lib.range 1 3000));
  small = lib.range 1 1000;
  windows = builtins.genList (i: builtins.length (lib.take 5 (lib.drop (lib.mod (i * 7) 1000) small))) 2000;
  parts = lib.partition (x: lib.mod x 3 == 0) xs;
  groups = lib.groupBy (x: toString (lib.mod x 10)) xs;
  sorted = lib.naturalSort (map (x: "disk${toString (20000 - x)}") (lib.range 1 3000));
  hits = lib.count (x: lib.mod x 7 == 0) xs;
  first = lib.findFirst (x: x > 19990) null xs;
  zipped = lib.zipListsWith (a: b: a - b) xs (lib.reverseList xs);
  result = [
    sumR
    sumL
    (lib.last indexed)
    (builtins.length flat)
    (builtins.length uniq)
    (builtins.foldl' builtins.add 0 windows)
    (builtins.length parts.right)
    (builtins.length groups."3")
    (builtins.head sorted)
    hits
    first
    (builtins.head zipped)
  ];
in
assert result == [ 200010000 12502500 400000000 15000 500 9980 6666 2000 "disk17000" 2857 19991 (-19999) ];
result
