# gonix lib: attribute set functions (lib.attrsets; nixpkgs'
# current names and behaviour).
{ lib }:
let
  inherit (builtins) head tail length elemAt isAttrs attrNames attrValues
    listToAttrs concatMap filter foldl' catAttrs zipAttrsWith mapAttrs;
in
rec {
  inherit (builtins) listToAttrs hasAttr isAttrs getAttr attrNames attrValues catAttrs mapAttrs zipAttrsWith;

  attrByPath = attrPath: default: e:
    let
      n = length attrPath;
      go = i: e:
        if i == n then e
        else let a = elemAt attrPath i; in if e ? ${a} then go (i + 1) e.${a} else default;
    in
    go 0 e;

  hasAttrByPath = attrPath: e:
    let
      n = length attrPath;
      go = i: e:
        if i == n then true
        else let a = elemAt attrPath i; in if e ? ${a} then go (i + 1) e.${a} else false;
    in
    go 0 e;

  setAttrByPath = attrPath: value:
    let
      len = length attrPath;
      atDepth = n: if n == len then value else { ${elemAt attrPath n} = atDepth (n + 1); };
    in
    atDepth 0;

  getAttrFromPath = attrPath:
    attrByPath attrPath (abort ("cannot find attribute '" + builtins.concatStringsSep "." attrPath + "'"));

  updateManyAttrsByPath =
    let
      go = prefixLength: hasValue: value: updates:
        let
          split = lib.lists.partition (el: length el.path == prefixLength) updates;
          nested = lib.lists.groupBy (el: elemAt el.path prefixLength) split.wrong;
          withNestedMods =
            if split.wrong == [ ] then
              if hasValue then value
              else
                throw ("updateManyAttrsByPath: Path '${showAttrPath (head split.right).path}' does "
                  + "not exist in the given value, but the first update to this "
                  + "path tries to access the existing value.")
            else if !hasValue then
              mapAttrs (name: go (prefixLength + 1) false null) nested
            else if isAttrs value then
              value // mapAttrs (name: go (prefixLength + 1) (value ? ${name}) value.${name}) nested
            else
              let updatePath = (head split.wrong).path; in
              throw ("updateManyAttrsByPath: Path '${showAttrPath updatePath}' needs to "
                + "be updated, but path '${showAttrPath (lib.lists.take prefixLength updatePath)}' "
                + "of the given value is not an attribute set, so we can't "
                + "update an attribute inside of it.");
        in
        foldl' (acc: el: el.update acc) withNestedMods split.right;
    in
    updates: value: go 0 true value updates;

  attrVals = nameList: set: map (x: set.${x}) nameList;
  getAttrs = names: attrs: genAttrs names (name: attrs.${name});

  # removeAttrs keeps the surviving values as they are: no new set is built
  # name by name.
  filterAttrs = pred: set:
    removeAttrs set (filter (name: !pred name set.${name}) (attrNames set));

  filterAttrsRecursive = pred: set:
    listToAttrs (concatMap
      (name:
        let v = set.${name}; in
        if pred name v
        then [ { inherit name; value = if isAttrs v then filterAttrsRecursive pred v else v; } ]
        else [ ])
      (attrNames set));

  # foldAttrs op nul [ s1 s2 ] = { x = op s1.x (op s2.x nul); ... }
  foldAttrs = op: nul: list:
    zipAttrsWith (name: values: lib.lists.foldr op nul values) list;

  collect = pred: attrs:
    if pred attrs then [ attrs ]
    else if isAttrs attrs then concatMap (collect pred) (attrValues attrs)
    else [ ];

  cartesianProduct = attrsOfLists:
    foldl'
      (listOfAttrs: attrName:
        concatMap (attrs: map (v: attrs // { ${attrName} = v; }) attrsOfLists.${attrName}) listOfAttrs)
      [ { } ]
      (attrNames attrsOfLists);

  nameValuePair = name: value: { inherit name value; };

  mapAttrs' = f: set: listToAttrs (map (attr: f attr set.${attr}) (attrNames set));
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (attrNames attrs);

  mapAttrsRecursive = mapAttrsRecursiveCond (as: true);
  mapAttrsRecursiveCond = cond: f: set:
    let
      recurse = path: mapAttrs (name: value:
        if isAttrs value && cond value
        then recurse (path ++ [ name ]) value
        else f (path ++ [ name ]) value);
    in
    recurse [ ] set;

  genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);

  isDerivation = x: x.type or null == "derivation";

  toDerivation = path:
    let
      path' = builtins.storePath path;
      res = {
        type = "derivation";
        name = lib.strings.sanitizeDerivationName (builtins.substring 33 (-1) (baseNameOf path'));
        outPath = path';
        outputs = [ "out" ];
        out = res;
        outputName = "out";
      };
    in
    res;

  optionalAttrs = cond: as: if cond then as else { };

  zipAttrsWithNames = names: f: sets:
    listToAttrs (map (name: { inherit name; value = f name (catAttrs name sets); }) names);
  zipAttrs = zipAttrsWith (name: values: values);

  recursiveUpdateUntil = pred: lhs: rhs:
    let
      f = attrPath: zipAttrsWith (n: values:
        let here = attrPath ++ [ n ]; in
        if length values == 1 || pred here (elemAt values 1) (head values)
        then head values
        else f here values);
    in
    f [ ] [ rhs lhs ];

  # recursiveUpdateUntil with "until either side is not a set", built from
  # builtins: only the names both sides have are looked at (lazily), the
  # rest is one `//`. Same values and same laziness as the general form.
  recursiveUpdate = lhs: rhs:
    lhs // rhs // mapAttrs
      (n: r: let l = lhs.${n}; in if isAttrs l && isAttrs r then recursiveUpdate l r else r)
      (builtins.intersectAttrs lhs rhs);

  matchAttrs = pattern: attrs:
    assert isAttrs pattern;
    builtins.all
      (n:
        let pat = pattern.${n}; in
        attrs ? ${n} && (if isAttrs pat then isAttrs attrs.${n} && matchAttrs pat attrs.${n} else pat == attrs.${n}))
      (attrNames pattern);

  overrideExisting = old: new: mapAttrs (name: value: new.${name} or value) old;

  showAttrPath = path:
    if path == [ ] then "<root attribute path>"
    else builtins.concatStringsSep "." (map lib.strings.escapeNixIdentifier path);

  getOutput = output: pkg:
    if !pkg ? outputSpecified || !pkg.outputSpecified
    then pkg.${output} or pkg.out or pkg
    else pkg;
  getBin = getOutput "bin";
  getLib = getOutput "lib";
  getDev = getOutput "dev";
  getMan = getOutput "man";
  chooseDevOutputs = drvs: map getDev drvs;

  recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
  dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };


  inherit (builtins) intersectAttrs removeAttrs;

  attrsToList = mapAttrsToList nameValuePair;
  mapCartesianProduct = f: attrsOfLists: map f (cartesianProduct attrsOfLists);
  concatMapAttrs = f: v: foldl' lib.trivial.mergeAttrs { } (attrValues (mapAttrs f v));
  foldlAttrs = f: init: set: foldl' (acc: name: f acc name set.${name}) init (attrNames set);
  genAttrs' = xs: f: listToAttrs (map f xs);

  getFirstOutput = candidates: pkg:
    let outputs = filter (name: pkg ? ${name}) candidates; in
    if pkg.outputSpecified or false || outputs == [ ] then pkg else pkg.${head outputs};
  getInclude = getFirstOutput [ "include" "dev" "out" ];
  getStatic = getFirstOutput [ "static" "lib" "out" ];

  longestValidPathPrefix = attrPath: v:
    let
      n = length attrPath;
      go = set: i:
        if i == n then attrPath
        else let a = elemAt attrPath i; in
        if set ? ${a} then go set.${a} (i + 1) else lib.lists.take i attrPath;
    in
    go v 0;

  mapAttrsToListRecursive = mapAttrsToListRecursiveCond (_: _: true);
  mapAttrsToListRecursiveCond = pred: f: set:
    let
      one = path: value: if isAttrs value && pred path value then recurse path value else [ (f path value) ];
      recurse = path: set: concatMap (name: one (path ++ [ name ]) set.${name}) (attrNames set);
    in
    recurse [ ] set;

  # A balanced merge tree, as nixpkgs: the same result as folding //.
  mergeAttrsList = list:
    let
      merge = start: end:
        if end - start == 1 then elemAt list start
        else merge start ((start + end) / 2) // merge ((start + end) / 2) end;
    in
    if list == [ ] then { } else merge 0 (length list);

  unionOfDisjoint = x: y:
    let
      both = builtins.intersectAttrs x y;
      collisions = builtins.concatStringsSep " " (attrNames both);
      mask = mapAttrs (name: _: throw "unionOfDisjoint: collision on ${name}; complete list: ${collisions}") both;
    in
    (x // y) // mask;
}
