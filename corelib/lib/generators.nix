# gonix lib: serialisers from Nix values to configuration formats
# (lib.generators: key=value, INI, git config, JSON/YAML, Nix-like pretty
# printing, plist, Dhall).
{ lib }:
let
  inherit (builtins) isInt isFloat isString isList isAttrs isBool
    attrNames concatStringsSep concatMap length head tail filter typeOf mapAttrs
    replaceStrings;
  inherit (lib.strings) escape escapeNixIdentifier floatToString;
  inherit (lib.attrsets) mapAttrsToList isDerivation;
  inherit (lib.trivial) isFunction functionArgs;
in
rec {
  mkValueStringDefault = { }: v:
    let err = t: v: abort ("generators.mkValueStringDefault: ${t} not supported: ${toPretty { } v}"); in
    if isInt v then toString v
    else if isDerivation v then toString v
    else if isString v then v
    else if true == v then "true"
    else if false == v then "false"
    else if null == v then "null"
    else if isList v then err "lists" v
    else if isAttrs v then err "attrsets" v
    else if isFunction v then err "functions" v
    else if isFloat v then floatToString v
    else err "this value is" (toString v);

  mkKeyValueDefault = { mkValueString ? mkValueStringDefault { } }: sep: k: v:
    "${escape [ sep ] k}${sep}${mkValueString v}";

  toKeyValue = { mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    let
      mkLine = k: v: mkKeyValue k v + "\n";
      mkLines =
        if listsAsDuplicateKeys
        then k: v: map (mkLine k) (if isList v then v else [ v ])
        else k: v: [ (mkLine k v) ];
    in
    attrs: concatStringsSep "" (concatMap (k: mkLines k attrs.${k}) (attrNames attrs));

  toINI = { mkSectionName ? (name: escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    attrsOfAttrs:
    let
      mkSection = sectName: sectValues:
        "[${mkSectionName sectName}]\n" + toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } sectValues;
    in
    concatStringsSep "\n" (mapAttrsToList mkSection attrsOfAttrs);

  toINIWithGlobalSection = { mkSectionName ? (name: escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    { globalSection, sections }:
    (if globalSection == { } then "" else toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } globalSection + "\n")
    + toINI { inherit mkSectionName mkKeyValue listsAsDuplicateKeys; } sections;

  # git-config(1): nested sets become "section.sub.key"; a section name with
  # dots becomes [section "sub.sub"]; list values repeat the key.
  # git-config(1) syntax: "a.b" section names become [a "b"], strings are
  # quoted and escaped, lists repeat the key; only sections whose values
  # hold further (non-derivation) sets are flattened, as in nixpkgs.
  toGitINI =
    let
      mkSectionName = name:
        let sections = lib.strings.splitString "." name; in
        if lib.strings.hasInfix "\"" name || length sections == 1 then name
        else "${head sections} \"${concatStringsSep "." (tail sections)}\"";
      gitEscape = replaceStrings [ "\n" "\t" "\"" "\\" ] [ "\\n" "\\t" "\\\"" "\\\\" ];
      mkValueString = v: mkValueStringDefault { } (if isString v then "\"${gitEscape v}\"" else v);
      kv = mkKeyValueDefault { inherit mkValueString; } " = ";
      mkKeyValue = k: v:
        if isList v then concatStringsSep "\n" (map (x: "\t" + kv k x) v) else "\t" + kv k v;
      isNonDrvAttrs = value: isAttrs value && !isDerivation value;
      recurse = path: value:
        if isNonDrvAttrs value then
          builtins.concatMap (name: recurse ([ name ] ++ path) value.${name}) (attrNames value)
        else if length path > 1 then
          [ { ${concatStringsSep "." (lib.lists.reverseList (tail path))}.${head path} = value; } ]
        else [ { ${head path} = value; } ];
      flatten = attrs:
        let
          rewrite = filter (name: isAttrs attrs.${name} && builtins.any isNonDrvAttrs (builtins.attrValues attrs.${name})) (attrNames attrs);
        in
        removeAttrs attrs rewrite
        // lib.lists.foldl lib.attrsets.recursiveUpdate { } (recurse [ ] (lib.attrsets.genAttrs rewrite (name: attrs.${name})));
    in
    attrs: toINI { inherit mkKeyValue mkSectionName; } (flatten attrs);

  toJSON = { }: builtins.toJSON;
  # YAML is a superset of JSON.
  toYAML = { }@args: toJSON args;

  withRecursion = { depthLimit, throwOnDepthLimit ? true }:
    assert isInt depthLimit;
    let
      specialAttrs = [ "__functor" "__functionArgs" "__toString" "__pretty" ];
      stepIntoAttr = evalNext: name: if builtins.elem name specialAttrs then (x: x) else evalNext;
      transform = depth:
        if depthLimit != null && depth > depthLimit then
          (if throwOnDepthLimit
          then throw "Exceeded maximum eval-depth limit of ${toString depthLimit} while trying to evaluate with `generators.withRecursion'!"
          else _: "<unevaluated>")
        else x: x;
      mapAny = depth: v:
        let evalNext = x: mapAny (depth + 1) (transform (depth + 1) x); in
        if isAttrs v then mapAttrs (stepIntoAttr evalNext) v
        else if isList v then map evalNext v
        else transform (depth + 1) v;
    in
    mapAny 0;

  # Nix-like rendering of any value; `__pretty`/`val` pairs print through
  # their function when allowPrettyValues is set.
  toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
    let
      go = indent: v:
        let
          introSpace = if multiline then "\n${indent}  " else " ";
          outroSpace = if multiline then "\n${indent}" else " ";
        in
        if isInt v then toString v
        else if isFloat v then builtins.toJSON v
        else if isString v then
          let
            lines = filter (x: !isList x) (builtins.split "\n" v);
            escapeSingleline = escape [ "\\" "\"" "\${" ];
            escapeMultiline = replaceStrings [ "\${" "''" ] [ "''\${" "'''" ];
            escaped = map escapeMultiline lines;
            lastLine = lib.lists.last escaped;
          in
          if multiline && length lines > 1 then
            "''" + introSpace + concatStringsSep introSpace (lib.lists.init escaped)
            + (if lastLine == "" then outroSpace else introSpace + lastLine) + "''"
          else "\"" + concatStringsSep "\\n" (map escapeSingleline lines) + "\""
        else if true == v then "true"
        else if false == v then "false"
        else if null == v then "null"
        else if typeOf v == "path" then toString v
        else if isList v then
          if v == [ ] then "[ ]"
          else "[" + introSpace + concatStringsSep introSpace (map (go (indent + "  ")) v) + outroSpace + "]"
        else if isFunction v then
          let
            fna = functionArgs v;
            showFnas = concatStringsSep ", " (mapAttrsToList (name: hasDefVal: if hasDefVal then name + "?" else name) fna);
          in
          if fna == { } then "<function>" else "<function, args: {${showFnas}}>"
        else if isAttrs v then
          if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
          else if v == { } then "{ }"
          else if v ? type && v.type == "derivation" then "<derivation ${v.name or "???"}>"
          else "{" + introSpace
            + concatStringsSep introSpace (mapAttrsToList (name: value:
                "${escapeNixIdentifier name} = ${builtins.addErrorContext "while evaluating an attribute `${name}`" (go (indent + "  ") value)};") v)
            + outroSpace + "}"
        else abort "generators.toPretty: should never happen (v = ${v})";
    in
    go indent;

  toPlist = { escape ? false }: v:
    let
      expr = ind: x:
        if x == null then ""
        else if isBool x then ind + (if x then "<true/>" else "<false/>")
        else if isInt x then ind + "<integer>${toString x}</integer>"
        else if isString x then ind + "<string>${maybeEscapeXML x}</string>"
        else if isList x then concatStringsSep "\n" [ (ind + "<array>") (concatStringsSep "\n" (map (expr "\t${ind}") x)) (ind + "</array>") ]
        else if isAttrs x then concatStringsSep "\n" [ (ind + "<dict>") (attr ind x) (ind + "</dict>") ]
        else if typeOf x == "path" then ind + "<string>${maybeEscapeXML (toString x)}</string>"
        else if isFloat x then ind + "<real>${toString x}</real>"
        else abort "generators.toPlist: should never happen (v = ${v})";
      maybeEscapeXML = if escape then lib.strings.escapeXML else x: x;
      attr = ind: x:
        concatStringsSep "\n" (concatMap
          (name: let value = x.${name}; in
            if name != "_module" && value != null then [ "\t${ind}<key>${maybeEscapeXML name}</key>" (expr "\t${ind}" value) ] else [ ])
          (attrNames x));
    in
    lib.trivial.warnIf (!escape && lib.trivial.oldestSupportedReleaseIsAtLeast 2505)
      "Using `lib.generators.toPlist` without `escape = true` is deprecated"
    ''<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
${expr "" v}
</plist>'';

  toDhall = { }@args: v:
    let concatItems = concatStringsSep ", "; in
    if isAttrs v then "{ ${concatItems (mapAttrsToList (key: value: "${key} = ${toDhall args value}") v)} }"
    else if isList v then "[ ${concatItems (map (toDhall args) v)} ]"
    else if isInt v then "${if v < 0 then "" else "+"}${toString v}"
    else if isBool v then (if v then "True" else "False")
    else if isFunction v then abort "generators.toDhall: cannot convert a function to Dhall"
    else if v == null then abort "generators.toDhall: cannot convert a null to Dhall"
    else builtins.toJSON v;

  # Lua source for a value: tables for lists and sets (["key"] = value),
  # JSON-quoted scalars, nil for null; mkLuaInline passes an expression
  # through, asBindings renders a set as `name = value` lines.
  toLua = { multiline ? true, indent ? "", asBindings ? false }@args: v:
    let
      innerIndent = "${indent}  ";
      introSpace = if multiline then "\n${innerIndent}" else " ";
      outroSpace = if multiline then "\n${indent}" else " ";
      innerArgs = args // { indent = if asBindings then indent else innerIndent; asBindings = false; };
      concatItems = concatStringsSep ",${introSpace}";
      isLuaInline = { _type ? null, ... }: _type == "lua-inline";
      badVarNames = filter (name: builtins.match "[[:alpha:]_][[:alnum:]_]*(\\.[[:alpha:]_][[:alnum:]_]*)*" name == null) (attrNames v);
      generatedBindings =
        assert lib.asserts.assertMsg (badVarNames == [ ]) "Bad Lua var names: ${toPretty { } badVarNames}";
        builtins.concatStringsSep "" (mapAttrsToList (key: value: "${indent}${key} = ${toLua innerArgs value}\n") v);
    in
    if asBindings then generatedBindings
    else if v == null then "nil"
    else if isInt v || isFloat v || isString v || isBool v then builtins.toJSON v
    else if typeOf v == "path" || isDerivation v then builtins.toJSON "${v}"
    else if isList v then
      (if v == [ ] then "{}" else "{${introSpace}${concatItems (map (value: "${toLua innerArgs value}") v)}${outroSpace}}")
    else if isAttrs v then
      (if isLuaInline v then "(${v.expr})"
      else if v == { } then "{}"
      else "{${introSpace}${concatItems (mapAttrsToList (key: value: "[${builtins.toJSON key}] = ${toLua innerArgs value}") v)}${outroSpace}}")
    else abort "generators.toLua: type ${typeOf v} is unsupported";

  mkLuaInline = expr: { _type = "lua-inline"; inherit expr; };
}
