# gonix lib: Linux kernel configuration values (lib.kernel).
{ lib }:
{
  option = x: x // { optional = true; };
  yes = { tristate = "y"; optional = false; };
  no = { tristate = "n"; optional = false; };
  module = { tristate = "m"; optional = false; };
  freeform = x: { freeform = x; optional = false; };
  whenHelpers = version: {
    whenAtLeast = ver: lib.mkIf (lib.strings.versionAtLeast version ver);
    whenOlder = ver: lib.mkIf (lib.strings.versionOlder version ver);
    whenBetween = verLow: verHigh: lib.mkIf (lib.strings.versionAtLeast version verLow && lib.strings.versionOlder version verHigh);
  };
}
