# toJSON of a structure of about 1 MB (records with strings that need
# escaping, ints, bools, null, nested sets and lists), then fromJSON of the
# text and a deep comparison with the original, as done with lock files,
# generated manifests and builtins.fromJSON (readFile ...) in nixpkgs.
# Several rounds, each with its own 1 MB document.
let
  n = 2700;
  rounds = 8;
  record = r: i: {
    id = i;
    name = "package-${toString i}";
    version = "${toString (i / 100)}.${toString (i - i / 100 * 100)}.${toString r}";
    description = "A \"quoted\" description\twith tabs,\nnewlines, a backslash \\ and unicode é ✓ for #${toString i}";
    enabled = i - i / 3 * 3 == 0;
    license = if i - i / 7 * 7 == 0 then null else "mit";
    dependencies = builtins.genList (k: "dep-${toString (i + k)}") (i - i / 5 * 5);
    meta = {
      homepage = "https://example.org/p/${toString i}";
      maintainers = [ "alice" "bob" ];
      priority = -i;
      platforms = { linux = true; darwin = i - i / 2 * 2 == 0; };
    };
  };
  data = r: {
    version = r;
    packages = builtins.genList (record r) n;
    index = builtins.listToAttrs (builtins.genList (i: { name = "package-${toString i}"; value = i; }) n);
  };
  round = r:
    let
      d = data r;
      text = builtins.toJSON d;
      back = builtins.fromJSON text;
      size = builtins.stringLength text;
    in
    assert size > 1000000 && size < 1100000;
    assert back == d;
    assert builtins.toJSON back == text;
    "${toString size}:${builtins.substring 0 8 (builtins.hashString "sha256" text)}";
in
builtins.concatStringsSep " " (builtins.genList round rounds)
