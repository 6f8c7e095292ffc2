# gonix lib: string functions (lib.strings; nixpkgs 22.05 names).
{ lib }:
let
  inherit (builtins) length stringLength substring replaceStrings match
    genList elemAt isString isList isAttrs isInt typeOf elem concatStringsSep
    unsafeDiscardStringContext;
in
rec {
  inherit (builtins) compareVersions elem elemAt filter fromJSON head isInt
    isList isAttrs isString match parseDrvName readFile replaceStrings split
    storeDir stringLength substring tail toJSON typeOf unsafeDiscardStringContext
    concatStringsSep;

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
  escapeShellArg = arg: "'${replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
  escapeShellArgs = concatMapStringsSep " " escapeShellArg;
  isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;

  toShellVar = name: value:
    lib.trivial.throwIfNot (isValidPosixName name) "toShellVar: ${name} is not a valid shell variable name" (
      if isAttrs value && !isCoercibleToString value then
        "declare -A ${name}=(${concatStringsSep " " (lib.attrsets.mapAttrsToList (n: v: "[${escapeShellArg n}]=${escapeShellArg v}") value)})"
      else if isList value then
        "declare -a ${name}=(${escapeShellArgs value})"
      else
        "${name}=${escapeShellArg value}"
    );
  toShellVars = vars: concatStringsSep "\n" (lib.attrsets.mapAttrsToList toShellVar vars);

  escapeNixString = s: escape [ "$" ] (builtins.toJSON s);
  escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");
  escapeNixIdentifier = s: if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null then s else escapeNixString s;
  escapeXML = replaceStrings [ "\"" "'" "<" ">" "&" ] [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];

  replaceChars = replaceStrings;
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

  isCoercibleToString = x:
    elem (typeOf x) [ "path" "string" "null" "int" "float" "bool" ]
    || (isList x && builtins.all isCoercibleToString x)
    || x ? outPath
    || x ? __toString;

  isStorePath = x:
    if !(isList x) && isCoercibleToString x then
      let str = toString x; in
      substring 0 1 str == "/" && dirOf str == builtins.storeDir
    else false;

  toInt = str:
    let may_be_int = fromJSON str; in
    if isInt may_be_int then may_be_int else throw "Could not convert ${str} to int.";

  readPathsFromFile = lib.trivial.warn "lib.readPathsFromFile is deprecated, use a list instead"
    (rootPath: file:
      let
        lines = splitString "\n" (readFile file);
        relativePaths = builtins.filter (line: line != "" && !(hasPrefix "#" line)) lines;
      in
      map (path: rootPath + "/${path}") relativePaths);

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
}
