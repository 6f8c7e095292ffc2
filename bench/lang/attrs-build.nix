# Building 10^5-attribute sets: listToAttrs over genList (the shape of
# lib.genAttrs / lib.listToAttrs (map nameValuePair ...)), then mapAttrs over
# the result. Several rounds with distinct names so nothing is shared.
let
  n = 100000;
  rounds = 6;
  build = r: builtins.listToAttrs (builtins.genList
    (i: { name = "r${toString r}-k${toString i}"; value = i + r; }) n);
  # Every round also derives a second set with mapAttrs, as nixpkgs overlays do.
  round = r:
    let
      s = build r;
      t = builtins.mapAttrs (name: v: v * 2) s;
      names = builtins.attrNames t;
    in
    builtins.length names + t."r${toString r}-k${toString (n - 1)}";
  total = builtins.foldl' (acc: r: acc + round r) 0 (builtins.genList (r: r) rounds);
  # Each round contributes n + 2 * (n - 1 + r).
  expected = builtins.foldl' (acc: r: acc + n + 2 * (n - 1 + r)) 0 (builtins.genList (r: r) rounds);
in
assert total == expected; total
