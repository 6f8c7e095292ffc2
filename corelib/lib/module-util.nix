# Private helpers of the module system (modules.nix, options.nix, types.nix).
# Written against builtins only, so the module system does not depend on the
# order in which the rest of lib is completed. Not re-exported by lib.
let
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elemAt
    filter
    foldl'
    functionArgs
    genList
    head
    isAttrs
    isFunction
    isList
    isString
    length
    listToAttrs
    mapAttrs
    match
    replaceStrings
    split
    stringLength
    substring
    tail
    tryEval
    typeOf
    ;

  isFunc = f: isFunction f || (isAttrs f && f ? __functor && isFunc f.__functor);

  fnArgs =
    f:
    if isFunction f then
      functionArgs f
    else if f ? __functionArgs then
      f.__functionArgs
    else
      fnArgs (f.__functor f);

  last = l: elemAt l (length l - 1);
  init = l: genList (i: elemAt l i) (length l - 1);
  take = n: l: if n >= length l then l else genList (i: elemAt l i) n;

  # Nix keywords may not be bare attribute names.
  keywords = [
    "assert"
    "else"
    "if"
    "in"
    "inherit"
    "let"
    "or"
    "rec"
    "then"
    "with"
  ];

  escapeNixString =
    s: replaceStrings [ "$" ] [ "\\$" ] (builtins.toJSON s);

  isValidIdent =
    s: match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null && !(builtins.elem s keywords);

  escapeNixIdentifier = s: if isValidIdent s then s else escapeNixString s;

  showOption =
    parts:
    concatStringsSep "." (
      map (
        p: if p == "*" || match "<(.*)>" p != null then p else escapeNixIdentifier p
      ) parts
    );

  showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

  # generators.toPretty {} as nixpkgs has it, over a value whose nesting past
  # depth 10 is shown as <unevaluated> (generators.withRecursion).
  specialAttrs = [
    "__functor"
    "__functionArgs"
    "__toString"
    "__pretty"
  ];
  limitDepth =
    depth: v:
    if depth > 10 then
      "<unevaluated>"
    else if isAttrs v then
      mapAttrs (n: x: if builtins.elem n specialAttrs then x else limitDepth (depth + 1) x) v
    else if isList v then
      map (limitDepth (depth + 1)) v
    else
      v;

  escapeSingle = replaceStrings [ "\\" "\"" "\${" ] [ "\\\\" "\\\"" "\\\${" ];
  escapeMulti = replaceStrings [ "\${" "''" ] [ "''\${" "'''" ];

  pretty =
    indent: v:
    let
      intro = "\n${indent}  ";
      outro = "\n${indent}";
      t = typeOf v;
    in
    if t == "int" then
      toString v
    else if t == "float" then
      builtins.toJSON v
    else if t == "string" then
      let
        lines = filter (x: !isList x) (split "\n" v);
      in
      if length lines > 1 then
        let
          esc = map escapeMulti lines;
          lastLine = last esc;
        in
        "''"
        + intro
        + concatStringsSep intro (init esc)
        + (if lastLine == "" then outro else intro + lastLine)
        + "''"
      else
        "\"" + escapeSingle v + "\""
    else if t == "bool" then
      (if v then "true" else "false")
    else if t == "null" then
      "null"
    else if t == "path" then
      toString v
    else if t == "list" then
      if v == [ ] then
        "[ ]"
      else
        "[" + intro + concatStringsSep intro (map (pretty (indent + "  ")) v) + outro + "]"
    else if isFunc v then
      let
        fa = fnArgs v;
        shown = concatStringsSep ", " (map (n: if fa.${n} then n + "?" else n) (attrNames fa));
      in
      if fa == { } then "<function>" else "<function, args: {${shown}}>"
    else if v == { } then
      "{ }"
    else if v ? type && v.type == "derivation" then
      "<derivation ${v.name or "???"}>"
    else
      "{"
      + intro
      + concatStringsSep intro (
        map (
          n:
          "${escapeNixIdentifier n} = ${
            builtins.addErrorContext "while evaluating an attribute `${n}`" (pretty (indent + "  ") v.${n})
          };"
        ) (attrNames v)
      )
      + outro
      + "}";

  showDefs =
    defs:
    concatStringsSep "" (
      map (
        def:
        let
          pe = tryEval (pretty "" (limitDepth 0 def.value));
          lines = filter (x: !isList x) (split "\n" pe.value);
          shown =
            concatStringsSep "\n    " (take 5 lines ++ (if length lines > 5 then [ "..." ] else [ ]));
        in
        "\n- In `${def.file}'"
        + (
          if !pe.success then
            ""
          else if length lines > 1 then
            ":\n    " + shown
          else
            ": " + shown
        )
      ) defs
    );

  # Levenshtein distance on bytes (small inputs: option names).
  levenshtein =
    a: b:
    let
      la = stringLength a;
      lb = stringLength b;
      ca = genList (i: substring i 1 a) la;
      cb = genList (j: substring j 1 b) lb;
      row0 = genList (j: j) (lb + 1);
      step =
        prev: i:
        let
          ci = elemAt ca i;
          go =
            j: acc: left:
            if j > lb then
              acc
            else
              let
                cost = if ci == elemAt cb (j - 1) then 0 else 1;
                v = minimum [
                  (left + 1)
                  (elemAt prev j + 1)
                  (elemAt prev (j - 1) + cost)
                ];
              in
              go (j + 1) (acc ++ [ v ]) v;
        in
        go 1 [ (i + 1) ] (i + 1);
    in
    last (foldl' step row0 (genList (i: i) la));
  minimum = l: foldl' (a: b: if b < a then b else a) (head l) (tail l);

  sortOn =
    f: l:
    map (x: x.v) (
      builtins.sort (a: b: a.k < b.k) (
        map (v: {
          inherit v;
          k = f v;
        }) l
      )
    );

  setAttrByPath =
    path: value:
    if path == [ ] then value else { ${head path} = setAttrByPath (tail path) value; };

  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && set ? ${head path} then
      attrByPath (tail path) default set.${head path}
    else
      default;

  getAttrFromPath = path: set: foldl' (s: n: s.${n}) set path;

  recursiveUpdate =
    lhs: rhs:
    builtins.zipAttrsWith (
      n: vs:
      if length vs == 1 then
        head vs
      else if isAttrs (elemAt vs 0) && isAttrs (elemAt vs 1) then
        recursiveUpdate (elemAt vs 0) (elemAt vs 1)
      else
        elemAt vs 1
    ) [ lhs rhs ];

  isDerivation = v: isAttrs v && v ? type && v.type == "derivation";

  isStorePath =
    v:
    if isString v || builtins.isPath v || (isAttrs v && v ? outPath) then
      let
        s = toString v;
        dir = builtins.storeDir;
        dl = stringLength dir;
      in
      substring 0 (dl + 1) s == dir + "/"
      && match "[^/]+" (substring (dl + 1) (-1) s) != null
    else
      false;

  isStringLike =
    v: isString v || builtins.isPath v || (isAttrs v && (v ? outPath || v ? __toString));

  isConvertibleWithToString =
    v:
    let
      t = typeOf v;
    in
    isStringLike v
    || builtins.elem t [
      "null"
      "int"
      "float"
      "bool"
    ]
    || (t == "list" && builtins.all isConvertibleWithToString v);

  unique = foldl' (acc: e: if builtins.elem e acc then acc else acc ++ [ e ]) [ ];

  imap1 = f: l: genList (i: f (i + 1) (elemAt l i)) (length l);

  concatMap = builtins.concatMap;

  mapAttrsToList = f: s: map (n: f n s.${n}) (attrNames s);

  filterAttrs =
    pred: set:
    removeAttrs set (filter (n: !pred n set.${n}) (attrNames set));

  optional = c: x: if c then [ x ] else [ ];

  toList = x: if isList x then x else [ x ];

in
{
  inherit
    isFunc
    fnArgs
    last
    init
    take
    escapeNixString
    escapeNixIdentifier
    showOption
    showFiles
    showDefs
    levenshtein
    sortOn
    setAttrByPath
    attrByPath
    getAttrFromPath
    recursiveUpdate
    isDerivation
    isStorePath
    isStringLike
    isConvertibleWithToString
    unique
    imap1
    concatMap
    mapAttrsToList
    filterAttrs
    optional
    toList
    ;
}
