# builtins.foldl' over a list of 10^6 integers built with genList: strict left
# folds with two-argument lambdas, as lib.foldl' and its callers do in
# nixpkgs. Three folds over the same list: a sum, a rolling hash and a count.
let
  n = 1000000;
  xs = builtins.genList (i: i * 3 + 1) n;
  sum = builtins.foldl' (acc: x: acc + x) 0 xs;
  hash = builtins.foldl' (acc: x: builtins.bitAnd (acc * 31 + x) 1073741823) 7 xs;
  evens = builtins.foldl' (acc: x: if x / 2 * 2 == x then acc + 1 else acc) 0 xs;
  # sum of 3i+1 for i < n = 3 n (n-1) / 2 + n; 3i+1 is even exactly for odd i.
  expected = 3 * n * (n - 1) / 2 + n;
in
assert sum == expected;
assert evens == n / 2;
"${toString sum} ${toString hash}"
