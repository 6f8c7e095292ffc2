# Merging 10^5-attribute sets with `//`: a chain of right-biased updates over
# overlapping sets, the shape of overlays and `defaults // overrides`.
let
  n = 100000;
  layers = 16;
  # Layer l covers keys [l * n/16, l * n/16 + n): consecutive layers overlap.
  layer = l: builtins.listToAttrs (builtins.genList
    (i: let k = l * (n / 16) + i; in { name = "k${toString k}"; value = l; }) n);
  merged = builtins.foldl' (acc: l: acc // layer l) { } (builtins.genList (l: l) layers);
  # A second pattern: many small sets merged into one large one.
  small = builtins.foldl' (acc: l: acc // { "extra${toString l}" = l; }) merged
    (builtins.genList (l: l) 200);
  size = builtins.length (builtins.attrNames small);
  # The last layer wins where layers overlap; k0 is only in layer 0.
  probe = small.k0 + small."k${toString (n / 16 * 15)}" + small.extra199;
  expected = n + (layers - 1) * (n / 16) + 200;
in
assert size == expected; assert probe == 0 + 15 + 199; "${toString size} ${toString probe}"
