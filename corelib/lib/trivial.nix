# gonix lib: basic combinators, operators as functions, release information,
# warnings and function annotations (lib.trivial; the names and behaviour of
# nixpkgs' current lib, run on Nix 2.8).
{ lib }:
let
  inherit (builtins) trace getEnv isString;

  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "A" "B" "C" "D" "E" "F" ];

  # "evaluation warning:" in magenta (red when the warning aborts), as
  # nixpkgs prints it where Nix has no builtins.warn (Nix strips the escapes
  # when stderr is not a terminal). Nix strings have no \e: JSON spells ESC.
  esc = builtins.fromJSON ''"\u001b"'';
  warnPrefix = colour: msg: "${esc}[${colour}mevaluation warning:${esc}[0m ${msg}";
in
rec {
  # ceil and floor are missing on Nix 2.8: selecting them fails as in nixpkgs.
  inherit (builtins) pathExists readFile isBool isInt isFloat add sub mul div
    lessThan seq deepSeq genericClosure ceil floor;

  id = x: x;
  const = x: _: x;
  pipe = val: functions: builtins.foldl' (x: f: f x) val functions;
  concat = x: y: x ++ y;
  or = x: y: x || y;
  and = x: y: x && y;
  bitAnd = builtins.bitAnd;
  bitOr = builtins.bitOr;
  bitXor = builtins.bitXor;
  bitNot = builtins.sub (-1);
  boolToString = b: if b then "true" else "false";
  mergeAttrs = x: y: x // y;
  flip = f: a: b: f b a;
  mapNullable = f: a: if a == null then a else f a;
  boolToYesNo = b: if b then "yes" else "no";
  defaultTo = default: maybeValue: if maybeValue != null then maybeValue else default;
  xor = x: y: (!x) != (!y);

  # Release information: gonix's lib follows the nixpkgs lib of the
  # reference (master, mid-2026).
  release = "26.11";
  versionSuffix = "pre-git";
  version = release + versionSuffix;
  codeName = "Zokor";
  oldestSupportedRelease = 2511;
  oldestSupportedReleaseIsAtLeast = release: release <= oldestSupportedRelease;
  isInOldestRelease = warnIf (oldestSupportedReleaseIsAtLeast 2411)
    "lib.isInOldestRelease is deprecated. Use lib.oldestSupportedReleaseIsAtLeast instead."
    oldestSupportedReleaseIsAtLeast;
  revisionWithDefault = default: default;
  nixpkgsVersion = warn "lib.nixpkgsVersion is a deprecated alias of lib.version." version;
  inPureEvalMode = !builtins ? currentSystem;

  inNixShell = getEnv "IN_NIX_SHELL" != "";

  min = x: y: if x < y then x else y;
  max = x: y: if x > y then x else y;
  mod = base: int: base - (int * (builtins.div base int));
  compare = a: b: if a < b then -1 else if a > b then 1 else 0;
  splitByAndCompare = p: yes: no: a: b:
    if p a
    then (if p b then yes a b else -1)
    else (if p b then 1 else no a b);

  importJSON = path: builtins.fromJSON (builtins.readFile path);
  importTOML = path: builtins.fromTOML (builtins.readFile path);

  # NIX_ABORT_ON_WARN turns every warning into an abort, as in nixpkgs.
  warn =
    if builtins.elem (getEnv "NIX_ABORT_ON_WARN") [ "1" "true" "yes" ]
    then msg: _: assert isString msg; trace (warnPrefix "1;31" msg) (abort "NIX_ABORT_ON_WARN=true; warnings are treated as unrecoverable errors.")
    else msg: v: assert isString msg; trace (warnPrefix "1;35" msg) v;
  warnIf = cond: msg: if cond then warn msg else x: x;
  warnIfNot = cond: msg: if cond then x: x else warn msg;
  throwIf = cond: msg: if cond then throw msg else x: x;
  throwIfNot = cond: msg: if cond then x: x else throw msg;
  checkListOfEnum = msg: valid: given:
    let
      unexpected = lib.lists.subtractLists valid given;
      show = l: builtins.concatStringsSep ", " (builtins.map builtins.toString l);
    in
    throwIfNot (unexpected == [ ]) "${msg}: ${show unexpected} unexpected; valid ones: ${show valid}";
  info = msg: trace "INFO: ${msg}";
  showWarnings = warnings: res: lib.lists.foldr (w: x: warn w x) res warnings;

  setFunctionArgs = f: args: { __functor = self: f; __functionArgs = args; };
  functionArgs = f:
    if f ? __functor
    then f.__functionArgs or (functionArgs (f.__functor f))
    else builtins.functionArgs f;
  isFunction = f: builtins.isFunction f || (f ? __functor && isFunction (f.__functor f));
  toFunction = v: if isFunction v then v else _: v;
  mirrorFunctionArgs = f: let fArgs = functionArgs f; in g: { __functor = self: g; __functionArgs = fArgs; };

  fromHexString = str:
    let m = builtins.match "(0x)?([0-7]?[0-9A-Fa-f]{1,15})" str; in
    if m != null then (builtins.fromTOML "v=0x${builtins.elemAt m 1}").v
    else
      assert warn "fromHexString: ${lib.generators.toPretty { } str} is not a valid input and will be rejected in 26.05" true;
      (builtins.fromTOML "v=0x${lib.strings.removePrefix "0x" (lib.strings.toLower str)}").v;

  toHexString = i: builtins.concatStringsSep "" (builtins.map (d: builtins.elemAt hexDigits d) (toBaseDigits 16 i));
  toBaseDigits = base: i:
    let
      go = i: acc: if i < base then [ i ] ++ acc else go (builtins.div i base) ([ (i - base * builtins.div i base) ] ++ acc);
    in
    assert (base >= 2);
    assert (i >= 0);
    go i [ ];
}
