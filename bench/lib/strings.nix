# lib.strings and lib.generators at scale: concatMapStringsSep, splitString,
# hasPrefix/hasSuffix/hasInfix, toUpper, escapeShellArg, fixedWidthNumber,
# removePrefix, toKeyValue, toINI, toPretty.
let
  lib = import <gonix/lib>;
  words = map (i: "word${toString i}") (lib.range 1 10000);
  joined = lib.concatMapStringsSep "," lib.toUpper words;
  split = lib.splitString "," joined;
  prefixed = lib.count (lib.hasPrefix "WORD1") split;
  suffixed = lib.count (lib.hasSuffix "9") split;
  infixed = lib.count (lib.hasInfix "55") words;
  escaped = lib.concatMapStringsSep " " lib.escapeShellArg (lib.take 2000 words);
  padded = lib.concatMapStrings (i: lib.fixedWidthNumber 6 i) (lib.range 1 2000);
  stripped = map (lib.removePrefix "word") words;
  kv = lib.generators.toKeyValue { } (lib.genAttrs (lib.take 2000 words) (w: lib.stringLength w));
  ini = lib.generators.toINI { } (lib.genAttrs (lib.take 200 words) (w: { name = w; size = 3; enable = true; }));
  pretty = lib.generators.toPretty { } (lib.genAttrs (lib.take 500 words) (w: [ w { x = 1; } ]));
  result = [
    (lib.stringLength joined)
    (builtins.length split)
    prefixed
    suffixed
    infixed
    (lib.stringLength escaped)
    (lib.stringLength padded)
    (lib.last stripped)
    (builtins.hashString "sha256" kv)
    (builtins.hashString "sha256" ini)
    (builtins.hashString "sha256" pretty)
  ];
in
assert builtins.length result == 11;
result
