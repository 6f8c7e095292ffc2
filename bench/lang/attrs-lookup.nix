# Looking up in a 10^5-attribute set: static selection, dynamic `s.${name}`,
# `?` tests and builtins.getAttr, many rounds over precomputed names.
let
  n = 100000;
  rounds = 10;
  names = builtins.genList (i: "key${toString i}") n;
  s = builtins.listToAttrs (builtins.genList (i: { name = "key${toString i}"; value = i; }) n);
  # Rounds alternate between the three lookup forms.
  lookup = r: name:
    if r == 0 then (if s ? ${name} then 1 else 0)
    else if r - r / 2 * 2 == 0 then s.${name}
    else builtins.getAttr name s;
  round = r: builtins.foldl' (acc: name: acc + lookup r name) 0 names;
  total = builtins.foldl' (acc: r: acc + round r) 0 (builtins.genList (r: r) rounds);
  missing = builtins.length (builtins.filter (name: s ? ${name})
    (builtins.genList (i: "nokey${toString i}") (n / 10)));
  expected = n + (rounds - 1) * (n * (n - 1) / 2);
in
assert total == expected; assert missing == 0; assert s.key42 == 42; total
