# gonix lib: attribute sets to command lines (lib.cli; nixpkgs' current
# names: toCommandLine* and the deprecated toGNUCommandLine*).
{ lib }:
rec {
  toGNUCommandLineShell = lib.trivial.warnIf (lib.trivial.oldestSupportedReleaseIsAtLeast 2511)
    "lib.cli.toGNUCommandLineShell is deprecated, please use lib.cli.toCommandLineShell or lib.cli.toCommandLineShellGNU instead."
    (options: attrs: lib.strings.escapeShellArgs (lib.cli.toGNUCommandLine options attrs));

  # { a = true; b = [ 1 2 ]; long = "x"; n = null; } ->
  # [ "-a" "-b" "1" "-b" "2" "--long" "x" ]
  toGNUCommandLine = lib.trivial.warnIf (lib.trivial.oldestSupportedReleaseIsAtLeast 2511)
    "lib.cli.toGNUCommandLine is deprecated, please use lib.cli.toCommandLine or lib.cli.toCommandLineShellGNU instead."
    ({ mkOptionName ? k: if builtins.stringLength k == 1 then "-${k}" else "--${k}"
     , mkBool ? k: v: lib.lists.optional v (mkOptionName k)
     , mkList ? k: v: builtins.concatMap (mkOption k) v
     , mkOption ? k: v:
         if v == null then [ ]
         else if optionValueSeparator == null then [ (mkOptionName k) (lib.generators.mkValueStringDefault { } v) ]
         else [ "${mkOptionName k}${optionValueSeparator}${lib.generators.mkValueStringDefault { } v}" ]
     , optionValueSeparator ? null
     }:
     options:
     let
       render = k: v:
         if builtins.isBool v then mkBool k v
         else if builtins.isList v then mkList k v
         else mkOption k v;
     in
     builtins.concatMap (k: render k options.${k}) (builtins.attrNames options));

  toCommandLineShellGNU = options: attrs: lib.strings.escapeShellArgs (lib.cli.toCommandLineGNU options attrs);
  # Long options (names longer than one character) as --name=value, short
  # ones as -nvalue; true is the bare flag, false and null are left out
  # (unless explicitBool).
  toCommandLineGNU =
    { isLong ? optionName: builtins.stringLength optionName > 1
    , explicitBool ? false
    , formatArg ? lib.generators.mkValueStringDefault { }
    }:
    lib.cli.toCommandLine (optionName: {
      option = if isLong optionName then "--${optionName}" else "-${optionName}";
      sep = if isLong optionName then "=" else "";
      inherit explicitBool formatArg;
    });

  toCommandLineShell = optionFormat: attrs: lib.strings.escapeShellArgs (lib.cli.toCommandLine optionFormat attrs);
  toCommandLine = optionFormat: attrs:
    let
      # nixpkgs calls lib.throw here, which does not exist: an empty option
      # name is an "attribute 'throw' missing" error there too.
      pair = k: v:
        if k == "" then lib.throw "lib.cli.toCommandLine only accepts non-empty option names."
        else if builtins.isList v then builtins.concatMap (one k) v
        else one k v;
      one = k: render (optionFormat k);
      render = { option, sep, explicitBool, formatArg ? lib.generators.mkValueStringDefault { } }: v:
        if v == null || (!explicitBool && v == false) then [ ]
        else if !explicitBool && v == true then [ option ]
        else
          let arg = formatArg v; in
          if sep != null then [ "${option}${sep}${arg}" ] else [ option arg ];
    in
    builtins.concatMap (k: pair k attrs.${k}) (builtins.attrNames attrs);
}
