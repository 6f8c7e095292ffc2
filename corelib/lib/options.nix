# Option declarations and the standard merge functions (lib.options): spec nixos.md §1.5, §1.9.
{ lib }:
let
  inherit (builtins)
    all
    attrNames
    concatLists
    concatStringsSep
    filter
    foldl'
    head
    isAttrs
    isBool
    isFunction
    isInt
    isList
    isString
    length
    mapAttrs
    tail
    ;
  u = import ./module-util.nix { inherit lib; };
  inherit (u) showOption showFiles showDefs;

  prioritySuggestion = "Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.\n";

  isOption = x: (x._type or "") == "option";

  mkOption =
    {
      default ? null,
      defaultText ? null,
      example ? null,
      description ? null,
      relatedPackages ? null,
      type ? null,
      apply ? null,
      internal ? null,
      visible ? null,
      readOnly ? null,
    }@attrs:
    attrs // { _type = "option"; };

  mkEnableOption =
    name:
    mkOption {
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
      type = lib.types.bool;
    };

  literalExpression =
    text:
    if !isString text then
      throw "literalExpression expects a string."
    else
      {
        _type = "literalExpression";
        inherit text;
      };

  literalMD =
    text:
    if !isString text then
      throw "literalMD expects a string."
    else
      {
        _type = "literalMD";
        inherit text;
      };

  literalDocBook = text: {
    _type = "literalDocBook";
    inherit text;
  };

  mkPackageOption =
    pkgs: name:
    {
      nullable ? false,
      default ? name,
      example ? null,
      extraDescription ? "",
      pkgsText ? "pkgs",
    }:
    let
      name' = if isList name then u.last name else name;
      default' = if isList default then default else [ default ];
      defaultText = concatStringsSep "." (map u.escapeNixIdentifier default');
      defaultValue = u.attrByPath default' (throw "${defaultText} cannot be found in ${pkgsText}") pkgs;
      defaults =
        if default != null then
          {
            default = defaultValue;
            defaultText = literalExpression "${pkgsText}.${defaultText}";
          }
        else if nullable then
          { default = null; }
        else
          { };
    in
    mkOption (
      defaults
      // {
        description =
          "The ${name'} package to use." + (if extraDescription == "" then "" else " ") + extraDescription;
        type = if nullable then lib.types.nullOr lib.types.package else lib.types.package;
      }
      // (
        if example != null then
          {
            example = literalExpression (
              if isList example then "${pkgsText}.${concatStringsSep "." (map u.escapeNixIdentifier example)}" else example
            );
          }
        else
          { }
      )
    );

  mkSinkUndeclaredOptions =
    attrs:
    mkOption (
      {
        internal = true;
        visible = false;
        default = false;
        description = "Sink for option definitions.";
        type = lib.types.mkOptionType {
          name = "sink";
          check = x: true;
          merge = loc: defs: false;
        };
        apply = x: throw "Option value is not readable because the option is not declared.";
      }
      // attrs
    );

  getValues = map (x: x.value);
  getFiles = map (x: x.file);

  mergeDefaultOption =
    loc: defs:
    let
      list = getValues defs;
    in
    if length list == 1 then
      head list
    else if all u.isFunc list then
      x: mergeDefaultOption loc (map (f: f x) list)
    else if all isList list then
      concatLists list
    else if all isAttrs list then
      foldl' (a: b: a // b) { } list
    else if all isBool list then
      foldl' (a: b: a || b) false list
    else if all isString list then
      concatStringsSep "" list
    else if all isInt list && all (x: x == head list) list then
      head list
    else
      throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";

  mergeUniqueOption =
    {
      message,
      merge ? null,
    }:
    let
      notUnique =
        loc: defs:
        throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.\n${message}\nDefinition values:${showDefs defs}\n${prioritySuggestion}";
    in
    if merge == null then
      loc: defs: if length defs == 1 then (head defs).value else notUnique loc defs
    else
      loc: defs: if length defs == 1 then merge loc defs else notUnique loc defs;

  mergeOneOption = mergeUniqueOption { message = ""; };

  mergeEqualOption =
    loc: defs:
    if defs == [ ] then
      abort "This case should never happen."
    else if length defs == 1 then
      (head defs).value
    else
      (foldl' (
        first: def:
        if def.value != first.value then
          throw "The option `${showOption loc}' has conflicting definition values:${showDefs [
            first
            def
          ]}\n${prioritySuggestion}"
        else
          first
      ) (head defs) (tail defs)).value;

  collectOptions =
    x: if isOption x then [ x ] else if isAttrs x then concatLists (map (n: collectOptions x.${n}) (attrNames x)) else [ ];

  renderOptionValue =
    v:
    if v ? _type && v ? text then
      v
    else
      literalExpression (lib.generators.toPretty {
        multiline = true;
        allowPrettyValues = true;
      } v);

  optionAttrSetToDocList' =
    _: options:
    concatLists (
      map (
        opt:
        let
          name = showOption opt.loc;
          vis = opt.visible or true;
          docOption = {
            loc = opt.loc;
            inherit name;
            description = opt.description or null;
            declarations = filter (x: x != unknownModule) opt.declarations;
            internal = opt.internal or false;
            visible = if vis == "shallow" then true else if vis == "transparent" then false else vis;
            readOnly = opt.readOnly or false;
            type = opt.type.description or "unspecified";
          }
          // (
            if opt ? example then
              {
                example = builtins.addErrorContext "while evaluating the example of option `${name}`" (
                  renderOptionValue opt.example
                );
              }
            else
              { }
          )
          // (
            if opt ? defaultText || opt ? default then
              {
                default = builtins.addErrorContext "while evaluating the ${
                  if opt ? defaultText then "defaultText" else "default value"
                } of option `${name}`" (renderOptionValue (opt.defaultText or opt.default));
              }
            else
              { }
          )
          // (
            if opt ? relatedPackages && opt.relatedPackages != null then
              { inherit (opt) relatedPackages; }
            else
              { }
          );
          subOptions =
            let
              ss = opt.type.getSubOptions opt.loc;
            in
            if ss != { } then optionAttrSetToDocList' opt.loc ss else [ ];
          subVisible = vis == true || vis == "transparent";
        in
        [ docOption ] ++ (if subVisible then subOptions else [ ])
      ) (collectOptions options)
    );

  optionAttrSetToDocList = optionAttrSetToDocList' [ ];

  scrubOptionValue =
    x:
    if u.isDerivation x then
      {
        type = "derivation";
        drvPath = x.name;
        outPath = x.name;
        name = x.name;
      }
    else if isList x then
      map scrubOptionValue x
    else if isAttrs x then
      mapAttrs (n: v: scrubOptionValue v) (removeAttrs x [ "_args" ])
    else
      x;

  showOptionWithDefLocs =
    opt: "${showOption opt.loc}, with values defined in:\n${concatStringsSep "" (map (f: "  - ${f}\n") opt.files)}";

  unknownModule = "<unknown-file>";

  mdDoc = x: x;
in
{
  inherit
    isOption
    mkOption
    mkEnableOption
    mkPackageOption
    mkSinkUndeclaredOptions
    mergeDefaultOption
    mergeOneOption
    mergeEqualOption
    mergeUniqueOption
    getValues
    getFiles
    optionAttrSetToDocList
    optionAttrSetToDocList'
    scrubOptionValue
    literalExpression
    literalMD
    literalDocBook
    showOption
    showOptionWithDefLocs
    showFiles
    showDefs
    unknownModule
    mdDoc
    ;
  mkPackageOptionMD = mkPackageOption;
  literalExample = literalExpression;
}
