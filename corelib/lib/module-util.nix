# Private helpers of the module system (modules.nix, options.nix, types.nix):
# the option-name and definition printers, and the general lib's functions
# the module system uses, bound once. Not re-exported by lib.
{ lib }:
let
  inherit (builtins) concatStringsSep filter isList length match split tryEval;
  inherit (lib.strings) escapeNixString escapeNixIdentifier levenshtein
    isStorePath isStringLike isConvertibleWithToString;
  inherit (lib.lists) last init take unique imap1 concatMap optional toList;
  inherit (lib.attrsets) setAttrByPath attrByPath getAttrFromPath
    recursiveUpdate isDerivation mapAttrsToList filterAttrs;

  isFunc = lib.trivial.isFunction;
  fnArgs = lib.trivial.functionArgs;

  # generators.toPretty {} over the value with its nesting past depth 10
  # shown as <unevaluated>, as nixpkgs' showDefs prints definitions.
  toPretty = lib.generators.toPretty { };
  withRecursion = lib.generators.withRecursion { depthLimit = 10; throwOnDepthLimit = false; };

  showOption =
    parts:
    concatStringsSep "." (
      map (
        p: if p == "*" || match "<(.*)>" p != null then p else escapeNixIdentifier p
      ) parts
    );

  showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

  showDefs =
    defs:
    concatStringsSep "" (
      map (
        def:
        let
          pe = tryEval (toPretty (withRecursion def.value));
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
