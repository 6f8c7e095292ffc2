# gonix lib: string functions (lib.strings; nixpkgs' current names
# and behaviour).
{ lib }:
let
  inherit (builtins) length stringLength substring replaceStrings match
    genList elemAt isString isList isAttrs isInt typeOf elem concatStringsSep
    unsafeDiscardStringContext;

  # ASCII code of the characters nixpkgs' ascii-table.nix knows: tab, LF,
  # CR and the printable ones.
  asciiTable =
    let printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"; in
    builtins.listToAttrs (genList (i: { name = substring i 1 printable; value = i + 32; }) (stringLength printable))
    // { "\t" = 9; "\n" = 10; "\r" = 13; };
in
rec {
  inherit (builtins) compareVersions elem elemAt filter fromJSON head isInt
    isList isAttrs isString match parseDrvName readFile replaceStrings split
    storeDir stringLength substring tail toJSON typeOf unsafeDiscardStringContext
    concatStringsSep appendContext genList isPath;

  concatStrings = concatStringsSep "";
  concatMapStrings = f: list: concatStringsSep "" (map f list);
  concatImapStrings = f: list: concatStringsSep "" (lib.lists.imap1 f list);
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
  concatImapStringsSep = sep: f: list: concatStringsSep sep (lib.lists.imap1 f list);

  intersperse = separator: list:
    if list == [ ] || length list == 1 then list
    else builtins.tail (builtins.concatMap (x: [ separator x ]) list);

  makeSearchPath = subDir: paths:
    concatStringsSep ":" (map (path: path + "/" + subDir) (builtins.filter (x: x != null) paths));
  makeSearchPathOutput = output: subDir: pkgs: makeSearchPath subDir (map (lib.attrsets.getOutput output) pkgs);
  makeLibraryPath = makeSearchPathOutput "lib" "lib";
  makeBinPath = makeSearchPathOutput "bin" "bin";

  optionalString = cond: string: if cond then string else "";

  hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
  hasSuffix = suffix: content:
    let
      lenContent = stringLength content;
      lenSuffix = stringLength suffix;
    in
    lenContent >= lenSuffix && substring (lenContent - lenSuffix) lenContent content == suffix;
  # Substring search without a regular expression: replacing the infix
  # changes the string exactly when it occurs.
  hasInfix = infix: content:
    let s = "${content}"; in
    infix == "" || replaceStrings [ infix ] [ "" ] s != s;

  stringToCharacters = s: genList (p: substring p 1 s) (stringLength s);
  stringAsChars = f: s: concatStringsSep "" (map f (stringToCharacters s));

  escape = list: replaceStrings list (map (c: "\\${c}") list);
  # Quoted only when it holds a character outside [[:alnum:],._+:@%/-].
  escapeShellArg = arg:
    let string = toString arg; in
    if match "[[:alnum:],._+:@%/-]+" string == null
    then "'${replaceStrings [ "'" ] [ "'\\''" ] string}'"
    else string;
  escapeShellArgs = concatMapStringsSep " " escapeShellArg;
  isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;

  toShellVar = name: value:
    lib.trivial.throwIfNot (isValidPosixName name) "toShellVar: ${name} is not a valid shell variable name" (
      if isAttrs value && !isStringLike value then
        "declare -A ${name}=(${concatStringsSep " " (lib.attrsets.mapAttrsToList (n: v: "[${escapeShellArg n}]=${escapeShellArg v}") value)})"
      else if isList value then
        "declare -a ${name}=(${escapeShellArgs value})"
      else
        "${name}=${escapeShellArg value}"
    );
  toShellVars = vars: concatStringsSep "\n" (lib.attrsets.mapAttrsToList toShellVar vars);

  escapeNixString = s: escape [ "$" ] (builtins.toJSON s);
  escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");
  # Keywords are quoted too ({ "if" = 1; }), as in nixpkgs' current lib.
  escapeNixIdentifier = s:
    if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null
      && !(elem s [ "assert" "else" "if" "in" "inherit" "let" "or" "rec" "then" "with" ])
    then s else escapeNixString s;
  escapeXML = replaceStrings [ "\"" "'" "<" ">" "&" ] [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];

  lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
  upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  toLower = replaceStrings upperChars lowerChars;
  toUpper = replaceStrings lowerChars upperChars;

  addContextFrom = a: b: substring 0 0 a + b;

  splitString = _sep: _s:
    let
      sep = unsafeDiscardStringContext _sep;
      s = unsafeDiscardStringContext _s;
      splits = builtins.filter isString (builtins.split (escapeRegex sep) s);
    in
    map (v: addContextFrom _sep (addContextFrom _s v)) splits;

  removePrefix = prefix: str:
    let
      preLen = stringLength prefix;
      sLen = stringLength str;
    in
    if hasPrefix prefix str then substring preLen (sLen - preLen) str else str;
  removeSuffix = suffix: str:
    let
      sufLen = stringLength suffix;
      sLen = stringLength str;
    in
    if sufLen <= sLen && suffix == substring (sLen - sufLen) sufLen str
    then substring 0 (sLen - sufLen) str
    else str;

  versionOlder = v1: v2: compareVersions v2 v1 == 1;
  versionAtLeast = v1: v2: !versionOlder v1 v2;

  getName = x: if isString x then (parseDrvName x).name else x.pname or (parseDrvName x.name).name;
  getVersion = x: if isString x then (parseDrvName x).version else x.version or (parseDrvName x.name).version;

  nameFromURL = url: sep:
    let
      components = splitString "/" url;
      filename = lib.lists.last components;
      name = builtins.head (splitString sep filename);
    in
    assert name != filename; name;

  enableFeature = enable: feat:
    assert isString feat;
    "--${if enable then "enable" else "disable"}-${feat}";
  enableFeatureAs = enable: feat: value: enableFeature enable feat + optionalString enable "=${value}";
  withFeature = with_: feat:
    assert isString feat;
    "--${if with_ then "with" else "without"}-${feat}";
  withFeatureAs = with_: feat: value: withFeature with_ feat + optionalString with_ "=${value}";

  fixedWidthString = width: filler: str:
    let
      strw = stringLength str;
      reqWidth = width - (stringLength filler);
    in
    assert lib.asserts.assertMsg (strw <= width)
      "fixedWidthString: requested string length (${toString width}) must not be shorter than actual length (${toString strw})";
    if strw == width then str else filler + fixedWidthString reqWidth filler str;
  fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);

  floatToString = float:
    let
      result = toString float;
      precise = float == fromJSON result;
    in
    lib.trivial.warnIf (!precise) "Imprecise conversion from float to string ${result}" result;


  isStorePath = x:
    if isStringLike x then
      let str = toString x; in
      substring 0 1 str == "/" && (dirOf str == builtins.storeDir || match "/[0-9a-z]{52}" str != null)
    else false;

  toInt = str:
    let
      stripped = match "[[:space:]]*(-?[[:digit:]]+)[[:space:]]*" str;
      parsed = builtins.fromJSON (builtins.head stripped);
      err = "toInt: Could not convert ${escapeNixString str} to int.";
    in
    if stripped == null then throw err
    else if match "0[[:digit:]]+" (builtins.head stripped) == [ ] then
      throw "toInt: Ambiguity in interpretation of ${escapeNixString str} between octal and zero padded integer."
    else if !isInt parsed then throw err
    else parsed;

  fileContents = file: removeSuffix "\n" (readFile file);

  sanitizeDerivationName =
    let okRegex = match "[[:alnum:]+_?=-][[:alnum:]+._?=-]*"; in
    string:
    if stringLength string <= 207 && okRegex string != null
    then unsafeDiscardStringContext string
    else
      let
        noDots = elemAt (match "\\.*(.*)" (unsafeDiscardStringContext string)) 0;
        dashed = concatStringsSep "" (map (s: if isList s then "-" else s) (split "[^[:alnum:]+._?=-]+" noDots));
        cut = substring (lib.trivial.max (stringLength dashed - 207) 0) (-1) dashed;
      in
      if stringLength cut == 0 then "unknown" else cut;

  levenshtein = a: b:
    let
      arr = genList (i: genList (j: dist i j) (stringLength b + 1)) (stringLength a + 1);
      d = x: y: elemAt (elemAt arr x) y;
      dist = i: j:
        let c = if substring (i - 1) 1 a == substring (j - 1) 1 b then 0 else 1; in
        if j == 0 then i
        else if i == 0 then j
        else lib.trivial.min (lib.trivial.min (d (i - 1) j + 1) (d i (j - 1) + 1)) (d (i - 1) (j - 1) + c);
    in
    d (stringLength a) (stringLength b);

  commonPrefixLength = a: b:
    let
      m = lib.trivial.min (stringLength a) (stringLength b);
      go = i: if i >= m then m else if substring i 1 a == substring i 1 b then go (i + 1) else i;
    in
    go 0;
  commonSuffixLength = a: b:
    let
      la = stringLength a;
      lb = stringLength b;
      m = lib.trivial.min la lb;
      go = i: if i >= m then m else if substring (la - i - 1) 1 a == substring (lb - i - 1) 1 b then go (i + 1) else i;
    in
    go 0;

  # levenshteinAtMost k a b: is the edit distance of a and b at most k?
  # The common prefix and suffix never count, so only the infixes are
  # compared; k <= 2 has closed forms.
  levenshteinAtMost =
    let
      infixDifferAtMost1 = x: y: stringLength x <= 1 && stringLength y <= 1;
      infixDifferAtMost2 = x: y:
        let
          xlen = stringLength x;
          ylen = stringLength y;
          diff = xlen - ylen;
          xinfix = substring 1 (xlen - 2) x;
          yinfix = substring 1 (ylen - 2) y;
          xdelr = substring 0 (xlen - 1) x;
          xdell = substring 1 (xlen - 1) x;
          ydelr = substring 0 (ylen - 1) y;
          ydell = substring 1 (ylen - 1) y;
        in
        if diff == 2 then xinfix == y
        else if diff == 1 then xinfix == ydelr || xinfix == ydell
        else xinfix == yinfix || xdelr == ydell || xdell == ydelr;
    in
    k:
    if k <= 0 then a: b: a == b
    else
      let
        f = a: b:
          let
            alen = stringLength a;
            blen = stringLength b;
            prelen = commonPrefixLength a b;
            suflen = commonSuffixLength a b;
            presuflen = prelen + suflen;
            ainfix = substring prelen (alen - presuflen) a;
            binfix = substring prelen (blen - presuflen) b;
          in
          if alen < blen then f b a
          else if alen - blen > k then false
          else if k == 1 then infixDifferAtMost1 ainfix binfix
          else if k == 2 then infixDifferAtMost2 ainfix binfix
          else levenshtein ainfix binfix <= k;
      in
      f;

  charToInt = c: builtins.getAttr c asciiTable;

  join = concatStringsSep;
  concatLines = lines: optionalString (lines != [ ]) (concatStringsSep "\n" lines + "\n");
  concatMapAttrsStringSep = sep: f: attrs: concatStringsSep sep (builtins.attrValues (builtins.mapAttrs f attrs));
  replaceString = from: to: replaceStrings [ from ] [ to ];
  replicate = n: s: concatStrings (lib.lists.replicate n s);
  makeIncludePath = makeSearchPathOutput "dev" "include";

  isStringLike = x: isString x || isPath x || x ? outPath || x ? __toString;
  isConvertibleWithToString = x:
    isStringLike x || elem (typeOf x) [ "null" "int" "float" "bool" ] || (isList x && builtins.all isConvertibleWithToString x);

  escapeC = list: replaceStrings list
    (map (c: "\\x${fixedWidthString 2 "0" (toLower (lib.trivial.toHexString (charToInt c)))}") list);
  escapeURL =
    let
      unreserved = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
      toEscape = removeAttrs asciiTable unreserved;
    in
    replaceStrings (builtins.attrNames toEscape)
      (lib.attrsets.mapAttrsToList (_: c: "%${fixedWidthString 2 "0" (lib.trivial.toHexString c)}") toEscape);

  trim = trimWith { start = true; end = true; };
  trimWith = { start ? false, end ? false }:
    let
      chars = " \t\r\n";
      regex =
        if start && end then "[${chars}]*(.*[^${chars}])[${chars}]*"
        else if start then "[${chars}]*(.*)"
        else if end then "(.*[^${chars}])[${chars}]*"
        else "(.*)";
    in
    s: let res = match regex s; in optionalString (res != null) (builtins.head res);

  normalizePath = s:
    lib.trivial.warnIf (isPath s)
      ''
        lib.strings.normalizePath: The argument (${toString s}) is a path value, but only strings are supported.
            Path values are always normalised in Nix, so there's no need to call this function on them.
            This function also copies the path to the Nix store and returns the store path, the same as "''${path}" will, which may not be what you want.
            This behavior is deprecated and will throw an error in the future.''
      (builtins.foldl' (x: y: if y == "/" && hasSuffix "/" x then x else x + y) "" (stringToCharacters s));

  # Splits where predicate prev cur holds (keepSplit keeps the character
  # at which it splits); the parts keep the string's context.
  splitStringBy = predicate: keepSplit: str:
    let
      len = stringLength str;
      go = pos: part: result:
        if pos == len then result ++ [ part ]
        else
          let
            cur = substring pos 1 str;
            prev = if pos > 0 then substring (pos - 1) 1 str else "";
          in
          if predicate prev cur
          then go (pos + 1) (if keepSplit then cur else "") (result ++ [ part ])
          else go (pos + 1) (part + cur) result;
    in
    if len == 0 then [ (addContextFrom str "") ] else map (addContextFrom str) (go 0 "" [ ]);

  toSentenceCase = str:
    lib.trivial.throwIfNot (isString str) "toSentenceCase does only accepts string values, but got ${typeOf str}"
      (addContextFrom str (toUpper (substring 0 1 str) + toLower (substring 1 (stringLength str) str)));
  toCamelCase = str:
    lib.trivial.throwIfNot (isString str) "toCamelCase does only accepts string values, but got ${typeOf str}" (
      let
        separators = splitStringBy (prev: curr: elem curr [ "-" "_" " " ]) false str;
        parts = lib.lists.flatten (map (splitStringBy (prev: curr: match "[a-z]" prev != null && match "[A-Z]" curr != null) true) separators);
        first = if length parts > 0 then toLower (builtins.head parts) else "";
        rest = if length parts > 1 then map toSentenceCase (builtins.tail parts) else [ ];
      in
      concatStrings (map (addContextFrom str) ([ first ] ++ rest)));

  cmakeOptionType = type: feature: value:
    assert (elem (toUpper type) [ "BOOL" "FILEPATH" "PATH" "STRING" "INTERNAL" "LIST" ]);
    assert (isString feature);
    assert (isString value);
    "-D${feature}:${toUpper type}=${value}";
  cmakeBool = condition: flag:
    assert (isString condition);
    assert (builtins.isBool flag);
    cmakeOptionType "bool" condition (toUpper (lib.trivial.boolToString flag));
  cmakeFeature = feature: value:
    assert (isString feature);
    assert (isString value);
    cmakeOptionType "string" feature value;
  mesonOption = feature: value:
    assert (isString feature);
    assert (isString value);
    "-D${feature}=${value}";
  mesonBool = condition: flag:
    assert (isString condition);
    assert (builtins.isBool flag);
    mesonOption condition (lib.trivial.boolToString flag);
  mesonEnable = feature: flag:
    assert (isString feature);
    assert (builtins.isBool flag);
    mesonOption feature (if flag then "enabled" else "disabled");

  toIntBase10 = str:
    let
      stripped = match "[[:space:]]*0*(-?[[:digit:]]+)[[:space:]]*" str;
      parsed = builtins.fromJSON (builtins.head stripped);
      err = "toIntBase10: Could not convert ${escapeNixString str} to int.";
    in
    if stripped == null then throw err
    else if match "0+" (builtins.head stripped) == [ ] then 0
    else if !isInt parsed then throw err
    else parsed;
}
