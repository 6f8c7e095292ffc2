# gonix lib: old helpers nixpkgs still exports at top level (lib.misc);
# kept for compatibility, not for new code.
{ lib }:
let
  inherit (builtins) head tail isList isAttrs isInt attrNames elem filter listToAttrs;
  inherit (lib.lists) foldr foldl toList;
  inherit (lib.attrsets) attrByPath;
in
rec {
  maybeEnv = name: default: let value = builtins.getEnv name; in if value == "" then default else value;

  defaultMergeArg = x: y: if isAttrs y then y else y x;
  defaultMerge = x: y: x // (defaultMergeArg x y);

  foldArgs = merger: f: init: x:
    let
      arg = merger init (defaultMergeArg init x);
      base = setAttrMerge "passthru" { } (f arg) (z: z // {
        function = foldArgs merger f arg;
        args = (attrByPath [ "passthru" "args" ] { } z) // x;
      });
    in
    base // { override = base.passthru.function; };

  maybeAttrNullable = maybeAttr;
  maybeAttr = name: default: attrs: attrs.${name} or default;

  ifEnable = cond: val:
    if cond then val
    else if isList val then [ ]
    else if isAttrs val then { }
    else if val == true || val == false then false
    else null;

  checkFlag = attrSet: name:
    if name == "true" then true
    else if name == "false" then false
    else if elem name (attrByPath [ "flags" ] [ ] attrSet) then true
    else attrByPath [ name ] false attrSet;

  getValue = attrSet: argList: name:
    attrByPath [ name ]
      (if checkFlag attrSet name then true
      else if argList == [ ] then null
      else let x = head argList; in if head x == name then head (tail x) else getValue attrSet (tail argList) name)
      attrSet;

  checkReqs = attrSet: argList: condList:
    builtins.all
      (x: checkFlag attrSet (head x) -> builtins.all (y: let val = getValue attrSet argList y; in val != null && val != false) (tail x))
      condList;

  uniqList = { inputList, acc ? [ ] }:
    let
      go = xs: acc:
        if xs == [ ] then [ ]
        else
          let x = head xs; y = if elem x acc then [ ] else [ x ]; in
          y ++ go (tail xs) (y ++ acc);
    in
    go inputList acc;

  uniqListExt = { inputList, outputList ? [ ], getter ? (x: x), compare ? (x: y: x == y) }:
    if inputList == [ ] then outputList
    else
      let
        x = head inputList;
        isX = y: compare (getter y) (getter x);
      in
      uniqListExt {
        outputList = outputList ++ (if builtins.any isX outputList then [ ] else [ x ]);
        inputList = tail inputList;
        inherit getter compare;
      };

  condConcat = name: list: checker:
    if list == [ ] then name
    else if checker (head list) then condConcat (name + head (tail list)) (tail (tail list)) checker
    else condConcat name (tail (tail list)) checker;

  lazyGenericClosure = { startSet, operator }:
    let
      work = list: doneKeys: result:
        if list == [ ] then result
        else
          let x = head list; key = x.key; in
          if elem key doneKeys then work (tail list) doneKeys result
          else work (tail list ++ operator x) ([ key ] ++ doneKeys) ([ x ] ++ result);
    in
    work startSet [ ] [ ];

  innerModifySumArgs = f: x: a: b: if b == null then (f a b) // x else innerModifySumArgs f x (a // b);
  modifySumArgs = f: x: innerModifySumArgs f x { };

  innerClosePropagation = acc: xs:
    if xs == [ ] then acc
    else
      let y = head xs; ys = tail xs; in
      if !isAttrs y then innerClosePropagation acc ys
      else
        let acc' = [ y ] ++ acc; in
        innerClosePropagation acc' (uniqList {
          inputList = (y.propagatedBuildInputs or [ ]) ++ (y.propagatedNativeBuildInputs or [ ]) ++ ys;
          acc = acc';
        });
  closePropagationSlow = list: uniqList { inputList = innerClosePropagation [ ] list; };
  # By outPath, through propagatedBuildInputs and propagatedNativeBuildInputs
  # (nixpkgs picks this one whenever builtins.genericClosure exists).
  closePropagationFast = list:
    let entry = x: { key = x.outPath; val = x; }; in
    map (x: x.val) (builtins.genericClosure {
      startSet = map entry (builtins.filter (x: x != null) list);
      operator = item:
        if !builtins.isAttrs item.val then [ ]
        else builtins.concatMap (x: if x != null then [ (entry x) ] else [ ])
          ((item.val.propagatedBuildInputs or [ ]) ++ (item.val.propagatedNativeBuildInputs or [ ]));
    });
  closePropagation = if builtins ? genericClosure then closePropagationFast else closePropagationSlow;

  nvs = name: value: { ${name} = value; };
  setAttr = set: name: v: set // { ${name} = v; };
  setAttrMerge = name: default: attrs: f: setAttr attrs name (f (maybeAttr name default attrs));

  mergeAttrsWithFunc = f: set1: set2:
    foldr (n: set: if set ? ${n} then setAttr set n (f set.${n} set2.${n}) else set) (set2 // set1) (attrNames set2);
  mergeAttrsConcatenateValues = mergeAttrsWithFunc (a: b: toList a ++ toList b);

  mergeAttrsNoOverride = { mergeLists ? [ "buildInputs" "propagatedBuildInputs" ], overrideSnd ? [ "buildPhase" ] }: attrs1: attrs2:
    foldr
      (n: set: setAttr set n (
        if set ? ${n} then
          (if elem n mergeLists then attrs2.${n} ++ attrs1.${n}
          else if elem n overrideSnd then attrs1.${n}
          else throw "error mergeAttrsNoOverride, attribute ${n} given in both attributes - no merge func defined")
        else attrs2.${n}))
      attrs1
      (attrNames attrs2);

  mergeAttrByFunc = x: y:
    let
      mergeAttrBy2 = { mergeAttrBy = lib.trivial.mergeAttrs; } // (maybeAttr "mergeAttrBy" { } x) // (maybeAttr "mergeAttrBy" { } y);
    in
    foldr lib.trivial.mergeAttrs { } [
      x
      y
      (builtins.mapAttrs
        (a: v: if x ? ${a} then (if y ? ${a} then v x.${a} y.${a} else x.${a}) else y.${a})
        (removeAttrs mergeAttrBy2 (filter (a: !x ? ${a} && !y ? ${a}) (attrNames mergeAttrBy2))))
    ];
  mergeAttrsByFuncDefaults = foldl mergeAttrByFunc { inherit mergeAttrBy; };
  mergeAttrsByFuncDefaultsClean = list: removeAttrs (mergeAttrsByFuncDefaults list) [ "mergeAttrBy" ];
  mergeAttrBy =
    lib.attrsets.genAttrs [ "nativeBuildInputs" "buildInputs" "propagatedBuildInputs" "configureFlags" "prePhases" "postAll" "patches" ] (_: lib.trivial.concat)
    // lib.attrsets.genAttrs [ "passthru" "meta" "cfg" "flags" ] (_: lib.trivial.mergeAttrs)
    // lib.attrsets.genAttrs [ "preConfigure" "postInstall" ] (_: a: b: "${a}\n${b}");

  nixType = x:
    if isAttrs x then (if x ? outPath then "derivation" else "attrs")
    else if lib.trivial.isFunction x then "function"
    else if isList x then "list"
    else if x == true || x == false then "bool"
    else if x == null then "null"
    else if isInt x then "int"
    else "string";

  imap = lib.lists.imap1;

  fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  fakeSha256 = "0000000000000000000000000000000000000000000000000000000000000000";
  fakeSha512 = "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
}
