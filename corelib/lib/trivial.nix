# gonix lib: basic combinators, operators as functions, release information,
# warnings and function annotations (lib.trivial; nixpkgs 22.05 names).
{ lib }:
let
  inherit (builtins) trace getEnv;

  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "A" "B" "C" "D" "E" "F" ];

  # Bold red "warning:", as nixpkgs prints it (Nix strips the escapes when
  # stderr is not a terminal). Nix strings have no \e: JSON spells ESC.
  esc = builtins.fromJSON ''"\u001b"'';
  warnPrefix = msg: "${esc}[1;31mwarning: ${msg}${esc}[0m";
in
rec {
  inherit (builtins) pathExists readFile isBool isInt isFloat add sub lessThan
    seq deepSeq genericClosure;

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

  # Release information: gonix's lib follows the nixpkgs 22.05 API.
  release = "22.05";
  versionSuffix = "pre-git";
  version = release + versionSuffix;
  codeName = "Quokka";
  oldestSupportedRelease = 2111;
  isInOldestRelease = release: release <= oldestSupportedRelease;
  revisionWithDefault = default: default;
  nixpkgsVersion = trace "`lib.nixpkgsVersion` is deprecated, use `lib.version` instead!" version;

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
    then msg: trace (warnPrefix msg) (abort "NIX_ABORT_ON_WARN=true; warnings are treated as unrecoverable errors.")
    else msg: trace (warnPrefix msg);
  warnIf = cond: msg: if cond then warn msg else x: x;
  warnIfNot = cond: msg: if cond then x: x else warn msg;
  throwIf = cond: msg: if cond then throw msg else x: x;
  throwIfNot = cond: msg: if cond then x: x else throw msg;
  checkListOfEnum = msg: valid: given:
    let
      unexpected = builtins.filter (x: !(builtins.elem x valid)) given;
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

  toHexString = i: builtins.concatStringsSep "" (builtins.map (d: builtins.elemAt hexDigits d) (toBaseDigits 16 i));
  toBaseDigits = base: i:
    let
      go = i: acc: if i < base then [ i ] ++ acc else go (builtins.div i base) ([ (i - base * builtins.div i base) ] ++ acc);
    in
    assert (base >= 2);
    assert (i >= 0);
    go i [ ];
}
