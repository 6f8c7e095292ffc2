# Building a 10^5-character string three ways that nixpkgs code uses:
#  1. concatStringsSep "" (map f list): what lib.concatMapStrings does;
#  2. a foldl' of `+` over 100-character chunks (lib.foldl, string accumulators);
#  3. interpolation "${acc}${chunk}" line by line, as in generated config files.
# Each string is 10^5 characters; the result is its length plus a hash prefix.
let
  n = 100000;
  rounds = 8;
  # A 10-character piece that varies with i, so nothing is constant-folded.
  piece = r: i: builtins.substring 0 10 "${toString (i - i / 10 * 10)}${toString r}abcdefghijklmn";
  chunk = r: j: builtins.concatStringsSep "" (builtins.genList (k: piece r (j * 10 + k)) 10);
  viaConcat = r: builtins.concatStringsSep "" (builtins.genList (piece r) (n / 10));
  viaPlus = r: builtins.foldl' (acc: j: acc + chunk r j) "" (builtins.genList (j: j) (n / 100));
  viaInterp = r: builtins.foldl' (acc: j: "${acc}${chunk r j}") "" (builtins.genList (j: j) (n / 100));
  round = r:
    let a = viaConcat r; b = viaPlus r; c = viaInterp r; in
    assert builtins.stringLength a == n;
    assert a == b && b == c;
    builtins.hashString "sha256" a;
  hashes = builtins.genList round rounds;
  all = builtins.concatStringsSep "" hashes;
in
"${toString (builtins.stringLength all)} ${builtins.substring 0 16 (builtins.hashString "sha256" all)}"
