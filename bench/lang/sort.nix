# Sorting 10^5 pseudo-random ints: `sort lessThan` (which Nix 2.8 compares
# natively), then `sort (a: b: a < b)` and `sort (a: b: a > b)` (Nix
# comparators, as lib.sort callers write), on the same list. Numbers come
# from a hashed LCG step per index, so the input is deterministic.
let
  n = 100000;
  mask = 2147483647;
  lcg = x: builtins.bitAnd (x * 1103515245 + 12345) mask;
  rand = i: let a = lcg (i + 1); in lcg (builtins.bitXor a (a / 65536));
  xs = builtins.genList rand n;
  sorted1 = builtins.sort builtins.lessThan xs;
  sorted2 = builtins.sort (a: b: a < b) xs;
  sorted3 = builtins.sort (a: b: a > b) xs;
  # Check order pairwise; also sum to make sure nothing was lost.
  isSorted = l: builtins.all (i: builtins.elemAt l i <= builtins.elemAt l (i + 1))
    (builtins.genList (i: i) (builtins.length l - 1));
  sum = builtins.foldl' builtins.add 0;
in
assert isSorted sorted1;
assert sorted1 == sorted2;
assert builtins.head sorted3 == builtins.elemAt sorted1 (n - 1);
assert builtins.elemAt sorted3 (n / 2) == builtins.elemAt sorted1 (n - 1 - n / 2);
assert sum sorted1 == sum xs;
"${toString (builtins.head sorted1)} ${toString (builtins.elemAt sorted1 (n / 2))} ${toString (builtins.elemAt sorted1 (n - 1))}"
