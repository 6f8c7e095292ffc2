# gonix lib: version string parts (lib.versions).
{ lib }:
rec {
  splitVersion = builtins.splitVersion;
  major = v: builtins.elemAt (splitVersion v) 0;
  minor = v: builtins.elemAt (splitVersion v) 1;
  patch = v: builtins.elemAt (splitVersion v) 2;
  majorMinor = v: builtins.concatStringsSep "." (lib.lists.take 2 (splitVersion v));
  inherit (builtins) compareVersions;
  # The first n components (padded with "0"), then any suffix from the
  # first "-" on: pad 3 "1.2-rc1" == "1.2.0-rc1".
  pad = n: version:
    let
      numeric = builtins.head (lib.strings.splitString "-" version);
      suffix = lib.strings.removePrefix numeric version;
    in
    builtins.concatStringsSep "." (lib.lists.take n (splitVersion numeric ++ builtins.genList (_: "0") n)) + suffix;
}
