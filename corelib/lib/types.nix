# The option types library (lib.types): spec nixos.md §1.10.
{ lib }:
let
  inherit (builtins)
    all
    attrNames
    concatLists
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    functionArgs
    hasContext
    head
    isAttrs
    isBool
    isFloat
    isInt
    isList
    isString
    length
    match
    substring
    tail
    typeOf
    zipAttrsWith
    ;
  u = import ./module-util.nix { inherit lib; };
  inherit (u)
    showOption
    showFiles
    showDefs
    isFunc
    isDerivation
    isStorePath
    isStringLike
    imap1
    last
    ;
  opts = lib.options;
  inherit (opts) mergeEqualOption mergeOneOption mergeUniqueOption mergeDefaultOption;
  mods = lib.modules;

  isType = type: x: (x._type or "") == type;
  setType = typeName: value: value // { _type = typeName; };

  defaultTypeMerge =
    f: f':
    if f.name != f'.name then
      null
    else if f.payload != null then
      let
        p = f.binOp f.payload f'.payload;
      in
      if p == null then null else f.type p
    else
      f.type;

  defaultFunctor = name: {
    inherit name;
    type = types.${name} or null;
    payload = null;
    binOp = a: b: null;
  };

  elemTypeFunctor =
    name: payload:
    {
      inherit name payload;
      type = types.${name};
      binOp =
        a: b:
        let
          m = a.elemType.typeMerge b.elemType.functor;
        in
        if m == null then null else { elemType = m; };
    };

  isOptionType = isType "option-type";

  mkOptionType =
    {
      name,
      description ? null,
      descriptionClass ? null,
      check ? (x: true),
      merge ? mergeDefaultOption,
      emptyValue ? { },
      getSubOptions ? prefix: { },
      getSubModules ? null,
      substSubModules ? m: null,
      typeMerge ? defaultTypeMerge functor,
      functor ? defaultFunctor name,
      deprecationMessage ? null,
      nestedTypes ? { },
    }:
    {
      _type = "option-type";
      inherit
        name
        check
        merge
        emptyValue
        getSubOptions
        getSubModules
        substSubModules
        typeMerge
        functor
        deprecationMessage
        nestedTypes
        descriptionClass
        ;
      description = if description == null then name else description;
    };

  optionDescriptionPhrase =
    ok: t: if ok (t.descriptionClass or null) then t.description else "(${t.description})";

  checkDefsForError =
    check: loc: defs:
    let
      bad = filter (def: !check def.value) defs;
    in
    if bad == [ ] then null else { message = "Definition values: ${showDefs bad}"; };

  # A type whose check and merge run together (merge.v2): its merge answers
  # { headError, value, valueMeta }.
  v2Check = f: {
    __functor = _: f;
    isV2MergeCoherent = true;
  };
  v2Merge = v2: {
    __functor = self: loc: defs: (v2 { inherit loc defs; }).value;
    inherit v2;
  };
  coherent =
    loc: type: r:
    if type.check.isV2MergeCoherent or false then
      r
    else
      throw ''
        The option `${showOption loc}' has a type `${type.description}' that uses
        an ad-hoc `type // { check = ...; }' override, which is incompatible with
        the v2 merge mechanism.

        Please use `lib.types.addCheck` instead of `type // { check }' to add
        custom validation. For example:

          lib.types.addCheck baseType (value: /* your check */)

        instead of:

          baseType // { check = value: /* your check */; }
      '';
  runMerge =
    type: loc: defs:
    if type.merge ? v2 then
      coherent loc type (type.merge.v2 { inherit loc defs; })
    else
      {
        value = type.merge loc defs;
        headError = checkDefsForError type.check loc defs;
        valueMeta = { };
      };

  noCheckForDocsModule = {
    _file = "<built-in module that disables checks for the purpose of documentation generation>";
    config._module.check = mods.mkForce false;
  };

  # lib.path.hasStorePathPrefix on the path a value names: inside a store
  # path (STOREDIR/<32 chars>-<name>[/...]) or under a 52-character
  # base-32 top-level name.
  hasStorePathPrefix =
    x:
    let
      s = toString (
        if builtins.isPath x then x else /. + builtins.unsafeDiscardStringContext (toString x)
      );
    in
    match "${builtins.storeDir}/.{32}-[^/]+(/.*)?" s != null || match "/[0-9a-z]{52}(/.*)?" s != null;

  betweenDesc = lo: hi: "${toString lo} and ${toString hi} (both inclusive)";

  toDerivation =
    path:
    let
      p = builtins.storePath path;
      res = {
        type = "derivation";
        name = substring 33 (-1) (baseNameOf p);
        outPath = p;
        outputs = [ "out" ];
        out = res;
        outputName = "out";
      };
    in
    res;


  types = rec {
    inherit isType setType isOptionType mkOptionType;

    # Imported by documentation generators: option values are not checked.
    noCheckForDocsModule = {
      config._module.check = lib.mkForce false;
      _file = "<built-in module that disables checks for the purpose of documentation generation>";
    };

    raw = mkOptionType {
      name = "raw";
      description = "raw value";
      descriptionClass = "noun";
      check = x: true;
      merge = mergeOneOption;
    };

    anything = mkOptionType {
      name = "anything";
      description = "anything";
      descriptionClass = "noun";
      check = x: true;
      merge =
        loc: defs:
        let
          kind = v: if isAttrs v && isStringLike v then "stringCoercibleSet" else typeOf v;
          common = foldl' (
            k: def:
            if kind def.value == k then
              k
            else
              throw "The option `${showOption loc}' has conflicting option types in ${showFiles (map (d: d.file) defs)}"
          ) (kind (head defs).value) defs;
          byKind = {
            set = (attrsOf anything).merge;
            stringCoercibleSet = mergeOneOption;
            lambda =
              loc: defs: arg:
              anything.merge (loc ++ [ "<function body>" ]) (
                map (def: {
                  inherit (def) file;
                  value = def.value arg;
                }) defs
              );
          };
        in
        (byKind.${common} or mergeEqualOption) loc defs;
    };

    unspecified = mkOptionType {
      name = "unspecified";
      description = "unspecified value";
      descriptionClass = "noun";
    };

    bool = mkOptionType {
      name = "bool";
      description = "boolean";
      descriptionClass = "noun";
      check = isBool;
      merge = mergeEqualOption;
    };

    boolByOr = mkOptionType {
      name = "boolByOr";
      description = "boolean (merged using or)";
      descriptionClass = "noun";
      check = isBool;
      merge = loc: defs: foldl' (r: def: r || def.value) false defs;
    };

    int = mkOptionType {
      name = "int";
      description = "signed integer";
      descriptionClass = "noun";
      check = isInt;
      merge = mergeEqualOption;
    };

    ints =
      let
        between =
          lo: hi:
          assert lo <= hi;
          addCheck int (x: x >= lo && x <= hi)
          // {
            name = "intBetween";
            description = "integer between ${betweenDesc lo hi}";
          };
        ign =
          lo: hi: name: start:
          between lo hi
          // {
            inherit name;
            description = start + "; between ${betweenDesc lo hi}";
          };
        unsign =
          bit: range: ign 0 (range - 1) "unsignedInt${toString bit}" "${toString bit} bit unsigned integer";
        sign =
          bit: range:
          ign (0 - (range / 2)) (range / 2 - 1) "signedInt${toString bit}" "${toString bit} bit signed integer";
      in
      {
        inherit between;
        unsigned =
          addCheck int (x: x >= 0)
          // {
            name = "unsignedInt";
            description = "unsigned integer, meaning >=0";
            descriptionClass = "nonRestrictiveClause";
          };
        positive =
          addCheck int (x: x > 0)
          // {
            name = "positiveInt";
            description = "positive integer, meaning >0";
            descriptionClass = "nonRestrictiveClause";
          };
        u8 = unsign 8 256;
        u16 = unsign 16 65536;
        u32 = unsign 32 4294967296;
        s8 = sign 8 256;
        s16 = sign 16 65536;
        s32 = sign 32 4294967296;
      };

    port = ints.u16;

    float = mkOptionType {
      name = "float";
      description = "floating point number";
      descriptionClass = "noun";
      check = isFloat;
      merge = mergeEqualOption;
    };

    number = either int float;

    numbers = {
      between =
        lo: hi:
        assert lo <= hi;
        addCheck number (x: x >= lo && x <= hi)
        // {
          name = "numberBetween";
          description = "integer or floating point number between ${betweenDesc lo hi}";
        };
      nonnegative =
        addCheck number (x: x >= 0)
        // {
          name = "numberNonnegative";
          description = "nonnegative integer or floating point number, meaning >=0";
          descriptionClass = "nonRestrictiveClause";
        };
      positive =
        addCheck number (x: x > 0)
        // {
          name = "numberPositive";
          description = "positive integer or floating point number, meaning >0";
          descriptionClass = "nonRestrictiveClause";
        };
    };

    str = mkOptionType {
      name = "str";
      description = "string";
      descriptionClass = "noun";
      check = isString;
      merge = mergeEqualOption;
    };

    nonEmptyStr = mkOptionType {
      name = "nonEmptyStr";
      description = "non-empty string";
      descriptionClass = "noun";
      check = x: isString x && match "[ \t\n]*" x == null;
      merge = mergeEqualOption;
    };

    singleLineStr =
      let
        base = strMatching "[^\n\r]*\n?";
      in
      mkOptionType {
        name = "singleLineStr";
        description = "(optionally newline-terminated) single-line string";
        descriptionClass = "noun";
        inherit (base) check;
        merge =
          loc: defs:
          let
            s = base.merge loc defs;
            n = builtins.stringLength s;
          in
          if n > 0 && substring (n - 1) 1 s == "\n" then substring 0 (n - 1) s else s;
      };

    strMatching =
      pattern:
      mkOptionType {
        name = "strMatching ${u.escapeNixString pattern}";
        description = "string matching the pattern ${pattern}";
        descriptionClass = "noun";
        check = x: isString x && match pattern x != null;
        merge = mergeEqualOption;
        functor = defaultFunctor "strMatching" // {
          type = p: strMatching p.pattern;
          payload = { inherit pattern; };
          binOp = a: b: if a == b then a else null;
        };
      };

    separatedString =
      sep:
      mkOptionType {
        name = "separatedString";
        description =
          "strings concatenated with ${builtins.toJSON sep}";
        descriptionClass = "noun";
        check = isString;
        merge = loc: defs: concatStringsSep sep (map (d: d.value) defs);
        functor = defaultFunctor "separatedString" // {
          type = p: separatedString p.sep;
          payload = { inherit sep; };
          binOp = a: b: if a.sep == b.sep then { inherit (a) sep; } else null;
        };
      };

    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";

    passwdEntry =
      entryType:
      addCheck entryType (s: match "[^:\n]*" s != null)
      // {
        name = "passwdEntry ${entryType.name}";
        description = "${
          optionDescriptionPhrase (c: c == "noun") entryType
        }, not containing newlines or colons";
        descriptionClass = "nonRestrictiveClause";
      };

    pathWith =
      {
        inStore ? null,
        absolute ? null,
      }:
      if inStore != null && absolute != null && inStore && !absolute then
        throw "In pathWith, inStore means the path must be absolute"
      else
        mkOptionType {
          name = "path";
          description =
            (if absolute == null then "" else if absolute then "absolute " else "relative ")
            + "path"
            + (if inStore == null then "" else if inStore then " in the Nix store" else " not in the Nix store");
          descriptionClass = "noun";
          check =
            x:
            (if inStore == null || inStore then isStringLike x else isString x)
            && (inStore == null || inStore == hasStorePathPrefix x)
            && (absolute == null || absolute == (substring 0 1 (toString x) == "/"));
          merge = mergeEqualOption;
          functor = defaultFunctor "path" // {
            type = pathWith;
            payload = { inherit inStore absolute; };
            binOp = a: b: if a == b then a else null;
          };
        };

    path = pathWith { absolute = true; };
    pathInStore = pathWith { inStore = true; };
    externalPath = pathWith {
      absolute = true;
      inStore = false;
    };

    serializableValueWith =
      {
        typeName,
        nullable ? true,
      }:
      let
        base = oneOf [
          bool
          int
          float
          str
          path
          (attrsOf value)
          (listOf value)
        ];
        value = (if nullable then nullOr base else base) // { description = "${typeName} value"; };
      in
      value;
    json = serializableValueWith { typeName = "JSON"; };
    toml = serializableValueWith {
      typeName = "TOML";
      nullable = false;
    };

    package = mkOptionType {
      name = "package";
      descriptionClass = "noun";
      check = x: isDerivation x || isStorePath x;
      merge =
        loc: defs:
        let
          r = mergeOneOption loc defs;
        in
        if builtins.isPath r || (isString r && !hasContext r) then toDerivation r else r;
    };

    shellPackage = package // {
      check = x: isDerivation x && x ? shellPath;
    };

    attrs = mkOptionType {
      name = "attrs";
      description = "attribute set";
      descriptionClass = "noun";
      check = isAttrs;
      merge = loc: foldl' (r: def: r // def.value) { };
      emptyValue = {
        value = { };
      };
    };

    pkgs = addCheck (
      unique { message = "A Nixpkgs pkgs set can not be merged with another pkgs set."; } attrs
      // {
        name = "pkgs";
        descriptionClass = "noun";
        description = "Nixpkgs package set";
      }
    ) (x: (x._type or null) == "pkgs");

    listOf =
      elemType:
      mkOptionType rec {
        name = "listOf";
        description = "list of ${optionDescriptionPhrase (c: c == "noun" || c == "composite") elemType}";
        descriptionClass = "composite";
        check = v2Check isList;
        merge = v2Merge (
          { loc, defs }:
          let
            evals = filter (e: e.isDefined) (
              concatLists (
                imap1 (
                  n: def:
                  imap1 (
                    m: v:
                    mods.mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ]) elemType [
                      {
                        inherit (def) file;
                        value = v;
                      }
                    ]
                  ) def.value
                ) defs
              )
            );
          in
          {
            headError = checkDefsForError check loc defs;
            value = map (e: e.mergedValue) evals;
            valueMeta.list = map (e: e.checkedAndMerged.valueMeta) evals;
          }
        );
        emptyValue = {
          value = [ ];
        };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
        getSubModules = elemType.getSubModules;
        substSubModules = m: listOf (elemType.substSubModules m);
        functor = elemTypeFunctor name { inherit elemType; } // {
          type = p: listOf p.elemType;
        };
        nestedTypes.elemType = elemType;
      };

    nonEmptyListOf =
      elemType:
      let
        l = addCheck (listOf elemType) (x: x != [ ]);
      in
      l
      // {
        description = "non-empty ${optionDescriptionPhrase (c: c == "noun") l}";
        emptyValue = { };
        substSubModules = m: nonEmptyListOf (elemType.substSubModules m);
      };

    attrsOf = elemType: attrsWith { inherit elemType; };
    lazyAttrsOf =
      elemType:
      attrsWith {
        inherit elemType;
        lazy = true;
      };

    attrsWith =
      {
        elemType,
        lazy ? false,
        placeholder ? "name",
      }:
      mkOptionType rec {
        name = if lazy then "lazyAttrsOf" else "attrsOf";
        description =
          (if lazy then "lazy attribute set" else "attribute set")
          + " of ${optionDescriptionPhrase (c: c == "noun" || c == "composite") elemType}";
        descriptionClass = "composite";
        check = v2Check isAttrs;
        merge = v2Merge (
          { loc, defs }:
          let
            all' = zipAttrsWith (n: ds: mods.mergeDefinitions (loc ++ [ n ]) elemType ds) (
              map (
                def:
                builtins.mapAttrs (n: v: {
                  inherit (def) file;
                  value = v;
                }) def.value
              ) defs
            );
            evals = if lazy then all' else u.filterAttrs (n: e: e.isDefined) all';
          in
          {
            headError = checkDefsForError check loc defs;
            value = builtins.mapAttrs (
              n: e:
              if lazy then
                (if e.isDefined then e.mergedValue else elemType.emptyValue.value or e.mergedValue)
              else
                e.mergedValue
            ) evals;
            valueMeta.attrs = builtins.mapAttrs (n: e: e.checkedAndMerged.valueMeta) evals;
          }
        );
        emptyValue = {
          value = { };
        };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<${placeholder}>" ]);
        getSubModules = elemType.getSubModules;
        substSubModules =
          m:
          attrsWith {
            elemType = elemType.substSubModules m;
            inherit lazy placeholder;
          };
        functor =
          elemTypeFunctor "attrsWith" {
            inherit elemType lazy placeholder;
          }
          // {
            binOp =
              a: b:
              let
                et = a.elemType.typeMerge b.elemType.functor;
                lz = if a.lazy == b.lazy then a.lazy else null;
                ph =
                  if a.placeholder == b.placeholder then
                    a.placeholder
                  else if a.placeholder == "name" then
                    b.placeholder
                  else if b.placeholder == "name" then
                    a.placeholder
                  else
                    null;
              in
              if et == null || lz == null || ph == null then
                null
              else
                {
                  elemType = et;
                  lazy = lz;
                  placeholder = ph;
                };
          };
        nestedTypes.elemType = elemType;
      };

    attrListOf = elemType: attrListWith { inherit elemType; };

    # A list of single-attribute sets ([ { a = 1; } { b = 2; } ]) or an
    # attribute set, merged element by element; mkOrder orders elements,
    # mkOverride works per key.
    attrListWith =
      {
        elemType,
        asAttrs ? false,
        mergeAttrValues ? _name: values: values,
      }:
      mkOptionType rec {
        name = "attrListOf";
        description = "attribute list of ${optionDescriptionPhrase (c: c == "noun" || c == "composite") elemType}";
        descriptionClass = "composite";
        check = v2Check (x: isList x || isAttrs x);
        merge = v2Merge (
          { loc, defs }:
          let
            ordP = mods.defaultOrderPriority;
            ovrP = mods.defaultOverridePriority;
            peel =
              value:
              let
                t = value._type or null;
              in
              if t == "order" then
                let
                  inner = peel value.content;
                in
                {
                  inherit (inner) value overridePrio;
                  prio = value.priority;
                }
              else if t == "override" then
                let
                  inner = peel value.content;
                in
                {
                  inherit (inner) prio;
                  overridePrio = value.priority;
                  value = mods.mkOverride value.priority inner.value;
                }
              else
                {
                  inherit value;
                  prio = ordP;
                  overridePrio = ovrP;
                };
            extract =
              file: raw:
              let
                ordered = isType "order" raw;
                item = if ordered then raw.content else raw;
              in
              if isAttrs item && length (attrNames item) == 1 then
                let
                  key = head (attrNames item);
                  p = peel item.${key};
                in
                p
                // {
                  inherit file key;
                  prio = if ordered then raw.priority else p.prio;
                }
              else
                throw "A definition for option `${showOption loc}' is not of type `${description}'. ${
                  if !isAttrs item then
                    "Each list element must be an attribute set, but got ${typeOf item}"
                  else
                    "Each list element must be a single-key attribute set, but got ${toString (length (attrNames item))} keys"
                }.${
                  showDefs [
                    {
                      inherit file;
                      value = raw;
                    }
                  ]
                }";
            toItems =
              def:
              if isList def.value then
                map (extract def.file) def.value
              else
                map (
                  key:
                  peel def.value.${key}
                  // {
                    inherit (def) file;
                    inherit key;
                  }
                ) (attrNames def.value);
            items0 = concatLists (map toItems defs);
            winning = foldl' (
              acc: it:
              if it.overridePrio < (acc.${it.key} or ovrP) then acc // { ${it.key} = it.overridePrio; } else acc
            ) { } items0;
            items = builtins.sort (a: b: a.prio < b.prio) (
              filter (it: it.overridePrio == (winning.${it.key} or ovrP)) items0
            );
            evals = filter (e: e.eval.isDefined) (
              map (it: {
                inherit (it) key file prio;
                eval = mods.mergeDefinitions (loc ++ [ it.key ]) elemType [
                  {
                    inherit (it) file value;
                  }
                ];
              }) items
            );
            listValue = map (e: { ${e.key} = e.eval.mergedValue; }) evals;
          in
          {
            headError = checkDefsForError check loc defs;
            value = if asAttrs then zipAttrsWith mergeAttrValues listValue else listValue;
            valueMeta.attrList = map (e: e.eval.checkedAndMerged.valueMeta) evals;
            valueMeta.attrListValue = listValue;
            valueMeta.definitions = map (
              e:
              mods.mkDefinition {
                inherit (e) file;
                value = mods.mkOrder e.prio { ${e.key} = e.eval.mergedValue; };
              }
            ) evals;
          }
        );
        emptyValue = {
          value = if asAttrs then { } else [ ];
        };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
        getSubModules = elemType.getSubModules;
        substSubModules =
          m:
          attrListWith {
            inherit asAttrs mergeAttrValues;
            elemType = elemType.substSubModules m;
          };
        typeMerge = t: null;
        nestedTypes.elemType = elemType;
      };

    # A set with exactly one attribute, whose name picks the option (tag)
    # that merges its value.
    attrTag =
      tags0:
      let
        posSuffix =
          n:
          let
            pos = builtins.unsafeGetAttrPos n tags0;
          in
          if pos == null then "" else " at ${pos.file}:${toString pos.line}:${toString pos.column}";
        tags = builtins.mapAttrs (
          n: opt:
          builtins.addErrorContext
            "while checking that attrTag tag ${u.escapeNixIdentifier n} is an option with a type${posSuffix n}"
            (
              if opt._type or null != "option" then
                throw "In attrTag, each tag value must be an option, but tag ${u.escapeNixIdentifier n} ${
                  if opt ? _type then
                    (
                      if opt._type == "option-type" then
                        "was a bare type, not wrapped in mkOption."
                      else
                        "was of type ${u.escapeNixString opt._type}."
                    )
                  else
                    "was not."
                }"
              else
                opt
                // {
                  declarations =
                    opt.declarations or (
                      let
                        pos = builtins.unsafeGetAttrPos n tags0;
                      in
                      if pos == null then [ ] else [ pos.file ]
                    );
                  declarationPositions =
                    opt.declarationPositions or (
                      let
                        pos = builtins.unsafeGetAttrPos n tags0;
                      in
                      if pos == null then [ ] else [ pos ]
                    );
                }
            )
        ) tags0;
        choices = concatStringsSep ", " (map u.escapeNixIdentifier (attrNames tags));
      in
      mkOptionType {
        name = "attrTag";
        description = "attribute-tagged union with choices: ${choices}";
        descriptionClass = "noun";
        getSubOptions = prefix: builtins.mapAttrs (n: o: o // { loc = prefix ++ [ n ]; }) tags;
        check = v: isAttrs v && length (attrNames v) == 1 && tags ? ${head (attrNames v)};
        merge =
          loc: defs:
          let
            choice = head (attrNames (head defs).value);
            files = showFiles (map (d: d.file) defs);
            chosen = map (
              def:
              assert length (attrNames def.value) == 1;
              if head (attrNames def.value) != choice then
                throw "The option `${showOption loc}` is defined both as `${choice}` and `${head (attrNames def.value)}`, in ${files}."
              else
                {
                  inherit (def) file;
                  value = def.value.${choice};
                }
            ) defs;
          in
          if tags ? ${choice} then
            { ${choice} = (mods.evalOptionValue (loc ++ [ choice ]) tags.${choice} chosen).value; }
          else
            throw "The option `${showOption loc}` is defined as ${u.escapeNixIdentifier choice}, but ${u.escapeNixIdentifier choice} is not among the valid choices (${choices}). Value ${choice} was defined in ${files}.";
        nestedTypes = tags;
        functor = defaultFunctor "attrTag" // {
          type = { tags, ... }: attrTag tags;
          payload = { inherit tags; };
          binOp =
            let
              wrap = option: {
                options = option;
                _file = "<attrTag {...}>";
                pos = null;
              };
            in
            a: b: {
              tags =
                a.tags
                // b.tags
                // builtins.mapAttrs (
                  n: bOpt:
                  mods.mergeOptionDecls [ n ] [
                    (wrap a.tags.${n})
                    (wrap bOpt)
                  ]
                  // {
                    declarations = a.tags.${n}.declarations ++ bOpt.declarations;
                    declarationPositions = a.tags.${n}.declarationPositions ++ bOpt.declarationPositions;
                  }
                ) (builtins.intersectAttrs a.tags b.tags);
            };
        };
      };

    loaOf =
      elemType:
      attrsOf elemType
      // {
        name = "loaOf";
        deprecationMessage = "Mixing lists with attribute values is no longer possible; please use `types.attrsOf` instead. See https://github.com/NixOS/nixpkgs/issues/1800 for the motivation.";
        nestedTypes.elemType = elemType;
      };

    # A lib.generators.mkLuaInline value (equal definitions merge).
    luaInline = mkOptionType {
      name = "luaInline";
      description = "inline lua";
      descriptionClass = "noun";
      check = x: x._type or null == "lua-inline";
      merge = mergeEqualOption;
    };

    uniq = unique { message = ""; };

    unique =
      { message }:
      type:
      mkOptionType rec {
        name = "unique";
        inherit (type) description descriptionClass check;
        merge = mergeUniqueOption {
          inherit message;
          inherit (type) merge;
        };
        emptyValue = type.emptyValue;
        getSubOptions = type.getSubOptions;
        getSubModules = type.getSubModules;
        substSubModules = m: uniq (type.substSubModules m);
        functor = elemTypeFunctor name { elemType = type; } // {
          type = p: unique { inherit message; } p.elemType;
        };
        nestedTypes.elemType = type;
      };

    nullOr =
      elemType:
      mkOptionType rec {
        name = "nullOr";
        description = "null or ${optionDescriptionPhrase (c: c == "noun" || c == "conjunction") elemType}";
        descriptionClass = "conjunction";
        check = x: x == null || elemType.check x;
        merge =
          loc: defs:
          let
            nulls = length (filter (def: def.value == null) defs);
          in
          if nulls == length defs then
            null
          else if nulls != 0 then
            throw "The option `${showOption loc}` is defined both null and not null, in ${showFiles (map (d: d.file) defs)}."
          else
            elemType.merge loc defs;
        emptyValue = {
          value = null;
        };
        getSubOptions = elemType.getSubOptions;
        getSubModules = elemType.getSubModules;
        substSubModules = m: nullOr (elemType.substSubModules m);
        functor = elemTypeFunctor name { inherit elemType; } // {
          type = p: nullOr p.elemType;
        };
        nestedTypes.elemType = elemType;
      };

    functionTo =
      elemType:
      mkOptionType {
        name = "functionTo";
        description = "function that evaluates to a(n) ${
          optionDescriptionPhrase (c: c == "noun" || c == "composite") elemType
        }";
        descriptionClass = "composite";
        check = isFunc;
        merge = loc: defs: {
          __functor =
            _: arg:
            (mods.mergeDefinitions (loc ++ [ "<function body>" ]) elemType (
              map (fn: {
                inherit (fn) file;
                value = fn.value arg;
              }) defs
            )).mergedValue;
          __functionArgs = zipAttrsWith (n: all (x: x)) (map (fn: u.fnArgs fn.value) defs);
        };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<function body>" ]);
        getSubModules = elemType.getSubModules;
        substSubModules = m: functionTo (elemType.substSubModules m);
        functor = elemTypeFunctor "functionTo" { inherit elemType; } // {
          type = p: functionTo p.elemType;
        };
        nestedTypes.elemType = elemType;
      };

    optionDeclaration = mkOptionType {
      name = "optionDeclaration";
      description = "option declaration";
      descriptionClass = "noun";
      check = opt: isType "option" opt && !(opt ? value);
    };

    optionType = mkOptionType {
      name = "optionType";
      description = "optionType";
      descriptionClass = "noun";
      check = isType "option-type";
      merge =
        loc: defs:
        if length defs == 1 then
          (head defs).value
        else
          (mods.fixupOptionType loc (
            mods.mergeOptionDecls loc (
              map (d: {
                _file = d.file;
                pos = null;
                options = opts.mkOption { type = d.value; };
              }) defs
            )
          )).type;
    };

    submodule =
      modules:
      submoduleWith {
        shorthandOnlyDefinesConfig = true;
        modules = u.toList modules;
      };

    submoduleWith =
      {
        modules,
        specialArgs ? { },
        shorthandOnlyDefinesConfig ? false,
        description ? null,
        class ? null,
      }@attrs:
      let
        asModules = map (
          { value, file }:
          if isAttrs value && shorthandOnlyDefinesConfig then
            {
              _file = file;
              config = value;
            }
          else
            {
              _file = file;
              imports = [ value ];
            }
        );
        base = mods.evalModules {
          inherit class specialArgs;
          modules = [ { _module.args.name = mods.mkOptionDefault "‹name›"; } ] ++ modules;
        };
        freeformType = base._module.freeformType;
        check = v2Check (x: isAttrs x || isFunc x || path.check x);
      in
      mkOptionType {
        name = "submodule";
        description =
          if description != null then
            description
          else
            let
              docs = base.extendModules { modules = [ noCheckForDocsModule ]; };
            in
            if docs._module.freeformType ? description then
              "open submodule of ${
                optionDescriptionPhrase (c: c == "noun" || c == "composite") docs._module.freeformType
              }"
            else
              "submodule";
        inherit check;
        merge = v2Merge (
          { loc, defs }:
          let
            configuration = base.extendModules {
              modules = [ { _module.args.name = last loc; } ] ++ asModules defs;
              prefix = loc;
            };
          in
          {
            headError = checkDefsForError check loc defs;
            value = configuration.config;
            valueMeta = { inherit configuration; };
          }
        );
        emptyValue = {
          value = base.config;
        };
        getSubOptions =
          prefix:
          let
            docs = base.extendModules {
              inherit prefix;
              modules = [ noCheckForDocsModule ];
            };
            ff = docs._module.freeformType;
          in
          docs.options // (if ff != null then { _freeformOptions = ff.getSubOptions prefix; } else { });
        getSubModules = modules;
        substSubModules = m: submoduleWith (attrs // { modules = m; });
        nestedTypes = if freeformType != null then { inherit freeformType; } else { };
        functor = defaultFunctor "submodule" // {
          type = submoduleWith;
          payload = {
            inherit
              modules
              class
              specialArgs
              shorthandOnlyDefinesConfig
              description
              ;
          };
          binOp = a: b: {
            class =
              if a.class or null == null then
                b.class or null
              else if b.class or null == null then
                a.class
              else if a.class == b.class then
                a.class
              else
                throw "A submoduleWith option is declared multiple times with conflicting class values \"${toString a.class}\" and \"${toString b.class}\".";
            modules = a.modules ++ b.modules;
            specialArgs =
              let
                both = builtins.intersectAttrs a.specialArgs b.specialArgs;
              in
              if both == { } then
                a.specialArgs // b.specialArgs
              else
                throw "A submoduleWith option is declared multiple times with the same specialArgs \"${toString (attrNames both)}\"";
            shorthandOnlyDefinesConfig =
              if a.shorthandOnlyDefinesConfig == null then
                b.shorthandOnlyDefinesConfig
              else if b.shorthandOnlyDefinesConfig == null then
                a.shorthandOnlyDefinesConfig
              else if a.shorthandOnlyDefinesConfig == b.shorthandOnlyDefinesConfig then
                a.shorthandOnlyDefinesConfig
              else
                throw "A submoduleWith option is declared multiple times with conflicting shorthandOnlyDefinesConfig values";
            description =
              if a.description == null then
                b.description
              else if b.description == null then
                a.description
              else if a.description == b.description then
                a.description
              else
                throw "A submoduleWith option is declared multiple times with conflicting descriptions";
          };
        };
      };

    deferredModule = deferredModuleWith { };
    deferredModuleWith =
      attrs@{
        staticModules ? [ ],
      }:
      mkOptionType {
        name = "deferredModule";
        description = "module";
        descriptionClass = "noun";
        check = x: isAttrs x || isFunc x || path.check x;
        merge = loc: defs: {
          imports =
            staticModules
            ++ map (
              def: mods.setDefaultModuleLocation "${def.file}, via option ${showOption loc}" def.value
            ) defs;
        };
        inherit (submoduleWith { modules = staticModules; }) getSubOptions;
        getSubModules = staticModules;
        substSubModules = m: deferredModuleWith (attrs // { staticModules = m; });
        functor = defaultFunctor "deferredModuleWith" // {
          type = deferredModuleWith;
          payload = { inherit staticModules; };
          binOp = a: b: { staticModules = a.staticModules ++ b.staticModules; };
        };
      };

    enum =
      values:
      let
        show =
          v:
          if isString v then
            ''"${v}"''
          else if isInt v then
            toString v
          else if isBool v then
            (if v then "true" else "false")
          else
            "<${typeOf v}>";
      in
      mkOptionType rec {
        name = "enum";
        description =
          if values == [ ] then
            "impossible (empty enum)"
          else if length values == 1 then
            "value ${show (head values)} (singular enum)"
          else
            "one of ${concatStringsSep ", " (map show values)}";
        descriptionClass = if length values < 2 then "noun" else "conjunction";
        check = x: elem x values;
        merge = mergeEqualOption;
        functor = defaultFunctor name // {
          payload = { inherit values; };
          type = p: enum p.values;
          binOp = a: b: { values = u.unique (a.values ++ b.values); };
        };
      };

    either =
      t1: t2:
      mkOptionType rec {
        name = "either";
        description =
          if t1.descriptionClass or null == "nonRestrictiveClause" then
            "${t1.description}, or ${
              optionDescriptionPhrase (c: c == "noun" || c == "conjunction" || c == "composite") t2
            }"
          else
            "${optionDescriptionPhrase (c: c == "noun" || c == "conjunction") t1} or ${
              optionDescriptionPhrase (c: c == "noun" || c == "conjunction" || c == "composite") t2
            }";
        descriptionClass = "conjunction";
        check = v2Check (x: t1.check x || t2.check x);
        merge = v2Merge (
          { loc, defs }:
          let
            r1 = runMerge t1 loc defs;
            r2 = runMerge t2 loc defs;
          in
          if r1.headError == null then
            r1
          else if r2.headError == null then
            r2
          else
            rec {
              headError.message = "The option `${showOption loc}` is neither a value of type `${t1.description}` nor `${t2.description}`, Definition values: ${showDefs defs}";
              value = mergeOneOption loc defs;
              valueMeta = { inherit headError; };
            }
        );
        typeMerge =
          f':
          let
            m1 = t1.typeMerge (head f'.payload.elemType).functor;
            m2 = t2.typeMerge (elemAt f'.payload.elemType 1).functor;
          in
          if name == f'.name && m1 != null && m2 != null then functor.type m1 m2 else null;
        functor = elemTypeFunctor name {
          elemType = [
            t1
            t2
          ];
        };
        nestedTypes.left = t1;
        nestedTypes.right = t2;
      };

    oneOf =
      ts:
      if ts == [ ] then
        throw "types.oneOf needs to get at least one type in its argument"
      else
        foldl' either (head ts) (tail ts);

    coercedTo =
      coercedType: coerceFunc: finalType:
      assert
        coercedType.getSubModules == null
        || throw "coercedTo: coercedType must not have submodules (it’s a ${coercedType.description})";
      mkOptionType rec {
        name = "coercedTo";
        description = "${optionDescriptionPhrase (c: c == "noun") finalType} or ${
          optionDescriptionPhrase (c: c == "noun") coercedType
        } convertible to it";
        check = v2Check (x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x);
        merge = v2Merge (
          { loc, defs }:
          let
            coerce =
              def:
              def
              // {
                value =
                  if coercedType.merge ? v2 then
                    (
                      if (runMerge coercedType loc [ def ]).headError == null then
                        coerceFunc def.value
                      else
                        def.value
                    )
                  else if coercedType.check def.value then
                    coerceFunc def.value
                  else
                    def.value;
              };
            finalDefs = map coerce defs;
          in
          if finalType.merge ? v2 then
            runMerge finalType loc finalDefs
          else
            {
              value = finalType.merge loc finalDefs;
              valueMeta = { };
              headError = checkDefsForError check loc defs;
            }
        );
        emptyValue = finalType.emptyValue;
        getSubOptions = finalType.getSubOptions;
        getSubModules = finalType.getSubModules;
        substSubModules = m: coercedTo coercedType coerceFunc (finalType.substSubModules m);
        typeMerge = t: null;
        functor = defaultFunctor name;
        nestedTypes.coercedType = coercedType;
        nestedTypes.finalType = finalType;
      };

    addCheck =
      elemType: check:
      if elemType.merge ? v2 then
        elemType
        // {
          check = v2Check (x: elemType.check x && check x);
          merge = v2Merge (
            { loc, defs }@args:
            let
              orig = runMerge elemType loc defs;
            in
            orig
            // {
              headError = if orig.headError != null then orig.headError else checkDefsForError check loc defs;
            }
          );
        }
      else
        elemType // { check = x: elemType.check x && check x; };
  };
in
types
// {
  inherit
    defaultTypeMerge
    defaultFunctor
    optionDescriptionPhrase
    ;
}
